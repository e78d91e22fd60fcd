"""Sanity check by cascading model-parameter randomisation: an explanation must change with the model.

Paper: Adebayo et al., Sanity Checks for Saliency Maps, NeurIPS 2018, https://arxiv.org/abs/1810.03292

A copy of the model has its layers re-initialised one at a time from the output down;
after each, every method's maps are recomputed and compared with the trained model's by
Spearman rank correlation. Each stage is judged, as in the paper: a method whose maps
change once the classifier head (the top stages) is random depends on what the model
learned; one that changes only when the convolutions are reset follows the image more than
the decision; one still correlated once every layer is random explains the image, not the
model, and fails.

Every stage is re-initialised in turn, but on a deep model the maps are compared only after
the head stages and a spaced subset of the others (the last, fully random, among them). Methods
that send the same images through the model at every stage (LIME) can explain the trained
model and all judged stages in one pass over their images (randomisation_outputs).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from generator.analysis.trust.ranks import rank_correlation
from generator.analysis.trust.stage_outputs import StageOutputs, cascade_splits


@dataclass(frozen=True)
class RandomisationResult:
    """`stages` the layer groups re-initialised, in order (after stage s, stages[:s+1] are
    random); `judged` the stages after which the maps are compared (indices into `stages`,
    ascending, the last stage always among them), `stage_names` each judged stage's first
    layer; `correlations` method -> (J, N) Spearman of each image's map with its original
    after each judged stage; `mean_correlations` method -> (J,); `head` how many of the first
    judged stages are the classifier head (layers without spatial output; at least one);
    `passed` method -> bool (final mean below `threshold`); `verdicts` method -> "head"
    (below the threshold once the head is random), "late" (only after convolution stages) or
    "never"; `first_below` method -> index of the first judged stage below the threshold, or
    None; `example_maps` method -> (J+1, H, W): image `example`'s map for the trained model,
    then after each judged stage; `explain_calls` calls made to explanation functions (each
    over all N images)."""

    stages: tuple
    judged: tuple
    stage_names: tuple
    head: int
    correlations: dict
    mean_correlations: dict
    passed: dict
    verdicts: dict
    first_below: dict
    threshold: float
    example: int
    example_maps: dict
    explain_calls: int


def compute_randomisation_check(model, images: np.ndarray, targets, explain: dict, threshold: float,
                                seed: int = 0, layers=None, example: int = 0,
                                original_maps: dict | None = None, conv_stages: int | None = None,
                                judged_maps: dict | None = None) -> RandomisationResult:
    """Cascading randomisation of a copy of `model` (the caller's model is never changed).

    `explain` maps a method name to its explainer, callable(model, images, targets) -> maps
    (N, H, W). Maps are compared as returned (pass |map| if the sign should not count).
    `layers` lists the stages in order, each a layer name or a tuple of names re-initialised
    together (default: randomisation_stages, output first). Each weight takes a fresh draw of
    its layer's own initializer (kernel_initializer, gamma_initializer, ...) seeded from
    `seed`; a weight without one gets a seeded normal of its current standard deviation. Every
    stage is re-initialised in turn; the maps are compared after the stages `judged_stages`
    picks (`conv_stages` of the stages below the head; None: every stage), so the judged
    stages' weights do not depend on how many are judged. `original_maps` (method -> maps of
    the unchanged model, computed the same way) saves recomputing them; `judged_maps` (method
    -> (J, N, H, W) maps after each judged stage, computed the same way from the outputs that
    randomisation_outputs gives for the same seed, layers and conv_stages) likewise.
    """
    images = np.asarray(images, dtype=np.float32)
    targets = np.broadcast_to(np.asarray(targets, dtype=np.int64), (len(images),))
    stages = _stages(model, layers)
    copy = copy_model(model)
    points = judged_stages(model, stages, conv_stages)
    run = _Explainer(explain, images, targets)
    given, judged_given = original_maps or {}, judged_maps or {}
    originals = {m: _checked(given[m], images) if m in given else run(copy, m) for m in explain}
    after: dict[str, list] = {m: [_checked(maps, images) for maps in judged_given.get(m, [])] for m in explain}
    if any(len(after[m]) != len(points) for m in judged_given):
        raise ValueError(f"judged_maps need maps after each of the {len(points)} judged stages")
    for index in _cascade(copy, stages, seed):
        if index in points:
            for method in (m for m in explain if m not in judged_given):
                after[method].append(run(copy, method))
    correlations = {m: np.asarray([rank_correlation(originals[m], maps) for maps in after[m]], np.float32)
                    .reshape(len(points), len(images)) for m in explain}
    means = {m: c.mean(axis=1) for m, c in correlations.items()}
    examples = {m: np.stack([originals[m][example]] + [maps[example] for maps in after[m]]) for m in explain}
    result = RandomisationResult(stages, points, tuple(stages[p][0] for p in points),
                                 head_stages(model, [stages[p] for p in points]), correlations, means,
                                 {}, {}, {}, float(threshold), int(example), examples, run.calls)
    return judged(result, threshold)


def randomisation_outputs(model, seed: int = 0, layers=None, conv_stages: int | None = None):
    """StageOutputs: callable(batch) -> (1 + J, B, K), the trained model's outputs, then its copy's
    after each judged stage of compute_randomisation_check with the same arguments; None where
    the model cannot be split at every judged stage (then each stage needs the whole model)."""
    stages = _stages(model, layers)
    copy = copy_model(model)
    entries = cascade_splits(copy, stages, judged_stages(model, stages, conv_stages))
    if entries is None:
        return None
    for _ in _cascade(copy, stages, seed):
        pass
    return StageOutputs(model, copy, entries)


def _stages(model, layers) -> tuple[tuple[str, ...], ...]:
    """`layers` (default: randomisation_stages) as tuples of names, each checked to exist."""
    stages = tuple((item,) if isinstance(item, str) else tuple(item)
                   for item in (randomisation_stages(model) if layers is None else layers))
    for name in (name for stage in stages for name in stage):
        model.get_layer(name)  # a ValueError naming the layer if it does not exist
    return stages


def _cascade(copy, stages, seed: int):
    """Re-initialise `copy`'s stages in order (see compute_randomisation_check), yielding each
    stage's index once it is random."""
    seeds = np.random.default_rng(seed)
    for index, stage in enumerate(stages):
        for name in stage:
            reinitialise(copy.get_layer(name), seeds)
        yield index


def judged_stages(model, stages, conv_stages: int | None = None) -> tuple[int, ...]:
    """The stages after which the maps are compared: every head stage (see head_stages), then
    `conv_stages` of the others spaced evenly from the first to the last, which is always
    judged (None, or as many as there are: all of them)."""
    head = min(head_stages(model, stages), len(stages))
    rest = len(stages) - head
    if conv_stages is None or conv_stages >= rest:
        return tuple(range(len(stages)))
    if conv_stages < 1:
        raise ValueError(f"at least the last stage is judged, got conv_stages={conv_stages}")
    spaced = [rest - 1] if conv_stages == 1 else np.round(np.linspace(0, rest - 1, conv_stages)).astype(int)
    return tuple(range(head)) + tuple(head + int(i) for i in spaced)


def judged(result: RandomisationResult, threshold: float) -> RandomisationResult:
    """The same measurements with each method's verdicts against `threshold`: it passes when its
    mean correlation after the last stage is below it (no stage at all: nothing passes), and
    its verdict says at which stage it first fell below (see RandomisationResult)."""
    passed, verdicts, first_below = {}, {}, {}
    for method, means in result.mean_correlations.items():
        below = np.flatnonzero(np.asarray(means) < threshold)
        first = int(below[0]) if len(below) else None
        first_below[method] = first
        passed[method] = bool(len(result.judged)) and bool(means[-1] < threshold)
        early = first is not None and first < result.head
        verdicts[method] = "never" if not passed[method] else "head" if early else "late"
    return replace(result, passed=passed, verdicts=verdicts, first_below=first_below, threshold=float(threshold))


def head_stages(model, stages) -> int:
    """How many of the first `stages` (output first) are the classifier head: stages whose
    first layer has no spatial output (dense layers); at least one."""
    count = 0
    for stage in stages:
        if len(model.get_layer(stage[0]).output.shape) == 4:
            break
        count += 1
    return max(count, 1)


def merged(first: RandomisationResult, second: RandomisationResult) -> RandomisationResult:
    """One result holding the methods of two checks of the same model, images and stages.

    A method's measurements do not depend on the other methods checked with it (every
    stage draws the same seeded weights), so checks of method groups can be cached apart.
    """
    if (first.stages, first.judged, first.example) != (second.stages, second.judged, second.example):
        raise ValueError("only checks of the same stages and example image can be merged")
    return replace(first, correlations={**first.correlations, **second.correlations},
                   mean_correlations={**first.mean_correlations, **second.mean_correlations},
                   passed={**first.passed, **second.passed}, verdicts={**first.verdicts, **second.verdicts},
                   first_below={**first.first_below, **second.first_below},
                   example_maps={**first.example_maps, **second.example_maps},
                   explain_calls=first.explain_calls + second.explain_calls)


def randomisation_stages(model) -> list[tuple[str, ...]]:
    """The layers holding weights as stages, from the output back to the input.

    A layer with a kernel (convolution, dense) starts a stage; a weighted layer without
    one (batch normalisation) joins the stage of the closest kernel layer before it in
    model order, as in the paper's blocks; one before any kernel layer stands alone.
    """
    stages: list[list[str]] = []
    for layer in model.layers:
        if not layer.weights:
            continue
        if _has_kernel(layer) or not stages:
            stages.append([layer.name])
        else:
            stages[-1].append(layer.name)
    return [tuple(stage) for stage in reversed(stages)]


class _Explainer:
    """Runs one method's explainer on the images; counts the calls."""

    def __init__(self, explain: dict, images, targets):
        self.explain, self.images, self.targets = explain, images, targets
        self.calls = 0

    def __call__(self, model, method: str) -> np.ndarray:
        self.calls += 1
        return _checked(self.explain[method](model, self.images, self.targets), self.images)


def copy_model(model):
    """An independent functional copy with the same layer names and weights."""
    import keras

    copy = keras.models.clone_model(model)
    copy.set_weights(model.get_weights())
    return copy


def reinitialise(layer, seeds: np.random.Generator) -> None:
    """Give every weight of `layer` a fresh seeded draw (see compute_randomisation_check)."""
    for variable in layer.weights:
        seed = int(seeds.integers(0, 2**31 - 1))
        initializer = _initializer(layer, variable, seed)
        if initializer is not None:
            value = initializer(tuple(variable.shape), dtype=variable.dtype)
        else:
            current = np.asarray(variable.numpy())
            value = np.random.default_rng(seed).normal(0.0, current.std(), current.shape)
        variable.assign(np.asarray(value).astype(variable.dtype))


def _initializer(layer, variable, seed: int):
    """The layer's own initializer for this weight, seeded when it draws at random; or None."""
    name = variable.path.rsplit("/", 1)[-1]
    for attribute in (f"{name}_initializer", f"{name.removesuffix('_kernel')}_initializer"):
        initializer = getattr(layer, attribute, None)
        if initializer is not None and hasattr(initializer, "get_config"):
            config = initializer.get_config()
            return type(initializer).from_config({**config, "seed": seed}) if "seed" in config else initializer
    return None


def _has_kernel(layer) -> bool:
    return any(v.path.rsplit("/", 1)[-1].endswith("kernel") for v in layer.weights)


def _checked(maps, images) -> np.ndarray:
    maps = np.asarray(maps, dtype=np.float32)
    if maps.shape != images.shape[:3]:
        raise ValueError(f"an explanation returned {maps.shape}, expected {images.shape[:3]}")
    return maps
