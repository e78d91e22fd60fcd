"""Section 3: LIME superpixels for the sample images (true class, and predicted class where it differs)."""

from __future__ import annotations

from dataclasses import asdict

import numpy as np

from generator.analysis.regions import describe_lime_regions
from generator.context import Run
from generator.explain.lime_method import compute_lime
from generator.explain.methods import title
from generator.figures.common import displayable
from generator.figures.lime_overlay import plot_lime
from generator.results import LimeSectionResult, Results
from generator.sections.regions import describe_method_regions, region_maps_for
from generator.sections.settings import explain_settings

LIME_STEP_VERSION = 1


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
    with run.progress.stage(title("lime")) as record, run.progress.steps(len(rows), "image") as step:
        explained = run.cached(
            "lime", LIME_STEP_VERSION, (model.model_id, images[rows], targets, settings, run.config.seed),
            lambda: compute_lime(model.keras, images[rows], targets, settings.num_samples,
                                 explain.lime_segmentation, explain.lime_fill, seed=run.config.seed,
                                 on_image=step),
            record)
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
    })
