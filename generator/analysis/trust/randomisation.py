"""Sanity check by cascading model-parameter randomisation: an explanation must change with the model.

Paper: Adebayo et al., Sanity Checks for Saliency Maps, NeurIPS 2018, https://arxiv.org/abs/1810.03292

A copy of the model has its layers re-initialised one at a time from the output down;
after each, every method's maps are recomputed and compared with the trained model's by
Spearman rank correlation. A method still correlated with its original maps once all
layers are random explains the image, not the model, and fails.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from generator.analysis.trust.ranks import rank_correlation

# A method fails when its mean rank correlation with the original maps, after every
# listed layer is re-initialised, is still at least this (Adebayo et al. see values
# near 0 for gradients and near 1 for edge detectors).
RANDOMISATION_THRESHOLD = 0.5


@dataclass(frozen=True)
class RandomisationResult:
    """`layers` the layer names re-initialised, in order (stage s = layers[:s+1] random);
    `correlations` method -> (S, N) Spearman of each image's map with its original;
    `mean_correlations` method -> (S,); `passed` method -> bool (final mean below
    `threshold`); `example_maps` method -> (S+1, H, W): image `example`'s map for the
    trained model, then after each stage; `explain_calls` calls to explanation functions
    (each over all N images)."""

    layers: tuple
    correlations: dict
    mean_correlations: dict
    passed: dict
    threshold: float
    example: int
    example_maps: dict
    explain_calls: int


def compute_randomisation_check(model, images: np.ndarray, targets, explain: dict, seed: int = 0,
                                layers=None, threshold: float = RANDOMISATION_THRESHOLD,
                                example: int = 0) -> RandomisationResult:
    """Cascading randomisation of a copy of `model` (the caller's model is never changed).

    `explain` maps a method name to callable(model, images, targets) -> maps (N, H, W),
    compared as returned (pass |map| if sign should not count). `layers` lists the layer
    names to re-initialise, in order (default: every layer with weights, output first).
    Each weight takes a fresh draw of its layer's own initializer (kernel_initializer,
    gamma_initializer, ...) with a seed derived from `seed`; a weight without one gets a
    seeded normal of its current standard deviation.
    """
    images = np.asarray(images, dtype=np.float32)
    targets = np.broadcast_to(np.asarray(targets, dtype=np.int64), (len(images),))
    layers = tuple(randomisable_layers(model) if layers is None else layers)
    copy = copy_model(model)
    for name in layers:
        copy.get_layer(name)  # a ValueError naming the layer if it does not exist
    originals = {method: _maps(fn, copy, images, targets) for method, fn in explain.items()}
    examples = {method: [maps[example]] for method, maps in originals.items()}
    correlations = {method: [] for method in explain}
    seeds = np.random.default_rng(seed)
    for name in layers:
        reinitialise(copy.get_layer(name), seeds)
        for method, fn in explain.items():
            maps = _maps(fn, copy, images, targets)
            correlations[method].append(rank_correlation(originals[method], maps))
            examples[method].append(maps[example])
    correlations = {m: np.asarray(c, np.float32).reshape(len(layers), len(images))
                    for m, c in correlations.items()}
    means = {m: c.mean(axis=1) for m, c in correlations.items()}
    passed = {m: bool(len(layers)) and bool(means[m][-1] < threshold) for m in explain}
    return RandomisationResult(layers, correlations, means, passed, float(threshold), int(example),
                               {m: np.stack(e) for m, e in examples.items()},
                               len(explain) * (len(layers) + 1))


def randomisable_layers(model) -> list[str]:
    """Names of the layers that hold weights, from the output back to the input."""
    return [layer.name for layer in reversed(model.layers) if layer.weights]


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


def _maps(fn, model, images, targets) -> np.ndarray:
    maps = np.asarray(fn(model, images, targets), dtype=np.float32)
    if maps.shape != images.shape[:3]:
        raise ValueError(f"an explanation returned {maps.shape}, expected {images.shape[:3]}")
    return maps
