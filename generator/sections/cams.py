"""Section 4: Grad-CAM, Grad-CAM++, Score-CAM and Layer-CAM for the samples, and class-mean maps."""

from __future__ import annotations

from dataclasses import asdict

import numpy as np

from generator.context import Run
from generator.explain.cams import METHODS, compute_cams, compute_class_mean_cams
from generator.explain.common import conv_layer_names, resolve_conv_layer
from generator.explain.feature_maps import response_layers
from generator.figures.cams import plot_cams, plot_class_mean_cams
from generator.figures.saliency import displayable
from generator.sections.regions import describe_sample_maps

CAMS_STEP_VERSION = 1


def run_cams(run: Run) -> dict:
    model, samples, data = run.results["model"], run.results["samples"], run.results["data"]
    settings = run.config.methods.cams
    if not conv_layer_names(model.model):
        return {"available": False}
    # The maps are taken at the conv layer's response: after its batch norm and activation, if any.
    layer = response_layers(model.model, resolve_conv_layer(model.model, settings.layer, "methods.cams.layer"))[-1]
    images, labels = model.to_input(samples.split.images), samples.split.labels
    evaluation = data.evaluation
    predictions = run.results["probabilities"].argmax(axis=1)
    with run.progress.stage("Grad-CAM and relatives") as record:
        cams = run.cached("cams", CAMS_STEP_VERSION, (model.model_id, layer, images, labels),
                          lambda: compute_cams(model.model, images, labels, layer), record)
        correct = evaluation.labels == predictions
        means = run.cached(
            "class_mean_cams", CAMS_STEP_VERSION,
            (model.model_id, layer, evaluation.images, evaluation.labels, predictions, settings.class_mean_images),
            lambda: compute_class_mean_cams(model.model, model.to_input(evaluation.images), evaluation.labels,
                                            predictions, layer, settings.class_mean_images),
            record)
        run.results["cams"] = {"samples": cams, "means": means, "layer": layer}
        shown = displayable(images)
        figures = {
            "cams": run.figure("cams", (shown, cams), lambda: plot_cams(shown, cams, data.class_names, labels),
                               record=record),
            "class_means": run.figure("class_mean_cams", asdict(means), lambda: plot_class_mean_cams(
                means.means, data.class_names), record=record),
        }
    return {
        "available": True,
        "layer": layer,
        "methods": list(METHODS),
        "class_mean_images": settings.class_mean_images,
        "class_mean_counts": dict(zip(data.class_names, means.counts)),
        "regions": {method: describe_sample_maps(run, cams[method]) for method in METHODS},
        "figures": figures,
    }

