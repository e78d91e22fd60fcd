"""Section 3: LIME superpixels for the sample images (true class, and predicted class where it differs)."""

from __future__ import annotations

from dataclasses import asdict

import numpy as np

from generator.context import Run
from generator.analysis.regions import describe_lime_regions
from generator.explain.lime_method import DEFAULT_SEGMENTATION, compute_lime
from generator.figures.saliency import displayable
from generator.figures.superpixels import plot_lime
from generator.sections.model import input_value
from generator.sections.regions import describe_sample_maps, region_maps_for

LIME_STEP_VERSION = 1


def run_lime(run: Run) -> dict:
    model, samples = run.results["model"], run.results["samples"]
    settings = run.config.methods.lime
    images, labels = model.to_input(samples.split.images), samples.split.labels
    predicted = run.results["sample_predictions"]
    wrong = np.flatnonzero(predicted != labels)
    # Explain every image for its true class, then the misclassified ones for their predicted class.
    rows = np.concatenate([np.arange(len(images)), wrong])
    targets = np.concatenate([labels, predicted[wrong]])
    segmentation = dict(DEFAULT_SEGMENTATION, n_segments=settings.segments)
    fill = input_value(model, settings.fill)
    with run.progress.stage("LIME") as record:
        results = run.cached(
            "lime", LIME_STEP_VERSION, (model.model_id, images[rows], targets, settings, run.config.seed),
            lambda: compute_lime(model.model, images[rows], targets, settings.num_samples, segmentation,
                                 fill, seed=run.config.seed),
            record)
        run.results["lime"] = results
        shown = displayable(images[rows])
        figure = run.figure("lime", (shown, [asdict(r) for r in results], labels[rows]), lambda: plot_lime(
            shown, results, run.results["data"].class_names, labels[rows]), record=record)
    own = results[:len(images)]  # each sample explained for its true class
    region_maps = region_maps_for(run, samples.split, images.shape[1:3])
    return {
        "settings": asdict(settings),
        "regions": describe_sample_maps(run, np.stack([np.maximum(r.weight_map, 0) for r in own])),
        "superpixels": {cls: describe_lime_regions(r.segments, r.weights, region)
                        for cls, r, region in zip(samples.classes, own, region_maps)},
        "segments": [int(r.segments.max()) + 1 for r in results],
        "explained_for_predicted": [samples.classes[i] for i in wrong],
        "figures": {"lime": figure},
    }
