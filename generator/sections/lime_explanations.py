"""Section 3: LIME superpixels for the sample images (true class, and predicted class where it differs)."""

from __future__ import annotations

from dataclasses import asdict

import numpy as np

from generator.analysis.regions import describe_lime_regions
from generator.analysis.trust import randomisation_outputs
from generator.context import Run
from generator.explain.lime_method import compute_lime, compute_lime_over
from generator.explain.methods import title
from generator.figures.common import displayable
from generator.figures.lime_overlay import plot_lime
from generator.results import LimeSectionResult, Results
from generator.sections.regions import describe_method_regions, region_maps_for
from generator.sections.settings import explain_settings
from generator.sections.trust import trust_runs

LIME_STEP_VERSION = 2  # 2: with the randomisation check's judged stages in the same pass


def run_lime(run: Run, results: Results) -> LimeSectionResult:
    model, samples = results.model.model, results.samples.chosen
    settings = run.config.methods.lime
    explain = explain_settings(run.config, model)
    images, labels = model.to_input(samples.split.images), samples.split.labels
    predicted = results.samples.predictions
    wrong = np.flatnonzero(predicted != labels)
    # Explain every image for its true class, then the misclassified ones for their predicted class.
    rows = np.concatenate([np.arange(len(images)), wrong])
    targets = np.concatenate([labels, predicted[wrong]])
    stages = run.config.trust.sanity_stages if trust_runs(run.config, explain.cam_layer) else None
    with run.progress.stage(title("lime")) as record, run.progress.steps(len(rows), "image") as step:
        explained, judged_maps = run.cached(
            "lime", LIME_STEP_VERSION, (model.model_id, images[rows], targets, settings, run.config.seed, stages),
            lambda: _explain(model.keras, images[rows], targets, len(images), explain, stages, step), record)
        shown = displayable(images[rows])
        colours = run.config.figures.lime_colours
        figure = run.figure("lime", (shown, [asdict(r) for r in explained], colours),
                            lambda: plot_lime(shown, explained, colours), record=record)
    own_class = tuple(explained[:len(images)])
    own_maps = np.stack([r.weight_map for r in own_class])
    region_maps = region_maps_for(results.data.regions, samples.split, images.shape[1:3])
    names = results.data.regions.names
    return LimeSectionResult(own_class, tuple(explained[len(images):]), tuple(int(i) for i in wrong), {
        "settings": asdict(settings),
        "colours": colours,
        "regions": describe_method_regions(results, "lime", np.maximum(own_maps, 0)),
        "superpixels": {cls: {**describe_lime_regions(r.segments, r.weights, region, names),
                              "fit_r2": round(r.score, 4)}
                        for cls, r, region in zip(samples.classes, own_class, region_maps)},
        "segments": [int(r.segments.max()) + 1 for r in explained],
        "explained_for_predicted": [samples.classes[i] for i in wrong],
        "figures": {"lime": figure},
    }, judged_maps)


def _explain(model, images, targets, samples: int, explain, stages: int | None, on_image):
    """(explanations of `images`, judged maps or None): with `stages` (trust.sanity_stages, None when
    section 5 is off), the first `samples` images, each for its true class, go through the trained
    model and the randomisation check's judged stages in one pass (randomisation_outputs), which
    also gives their maps after each of those stages; every other explanation is the trained
    model's alone. An explanation is the same either way."""
    options = dict(num_samples=explain.lime_samples, segmentation=explain.lime_segmentation,
                   fill=explain.lime_fill, seed=explain.seed, on_image=on_image)
    outputs = randomisation_outputs(model, explain.seed, conv_stages=stages) if stages is not None else None
    if outputs is None:
        return compute_lime(model, images, targets, **options), None
    over = compute_lime_over(outputs, images[:samples], targets[:samples], **options)
    rest = compute_lime(model, images[samples:], targets[samples:], **options) if len(images) > samples else []
    judged_maps = np.stack([[r.weight_map for r in results[1:]] for results in over], axis=1).astype(np.float32)
    return [results[0] for results in over] + rest, judged_maps
