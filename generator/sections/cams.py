"""Section 4: the methods of the Grad-CAM page for the samples, and class-mean maps over many images."""

from __future__ import annotations

from dataclasses import asdict

import numpy as np

from generator.context import Run
from generator.explain.cams import compute_class_mean_cams, gradient_is_uniform
from generator.explain.common import cam_layer_candidates, resolve_cam_layer
from generator.explain.methods import explainers, methods_on
from generator.figures.cams import plot_cams, plot_class_mean_cams
from generator.figures.common import displayable
from generator.progress import counted
from generator.results import CamsResult, Results
from generator.sections.regions import describe_method_regions
from generator.sections.settings import explain_settings

CAMS_STEP_VERSION = 1
CLASS_MEANS_STEP_VERSION = 2   # 2: the maps section 5 measures are reused
STAGE = "Grad-CAM and relatives"


def run_cams(run: Run, results: Results) -> CamsResult:
    data, model, samples = results.data.dataset, results.model.model, results.samples.chosen
    explain = explain_settings(run.config, model)
    layer = explain.cam_layer
    if layer is None:
        run.progress.skip(STAGE, "the model has no convolution layer")
        return CamsResult(None, {}, None, {"available": False})
    settings = run.config.methods.cams
    methods = explainers(methods_on("gradcam"), explain)
    images, labels = model.to_input(samples.split.images), samples.split.labels
    evaluation = data.evaluation
    predictions = results.evaluation.predictions
    with run.progress.stage(STAGE) as record, run.progress.steps(len(methods) + 1, "method") as step:
        cams = run.cached("cams", CAMS_STEP_VERSION, (model.model_id, layer, images, labels, explain.scorecam_channels),
                          lambda: {key: counted(cam, step)(model.keras, images, labels)
                                   for key, cam in methods.items()}, record)
        # The maps of test images (class_maps) are the same maps: the ones among those averaged are reused.
        known = (results.class_maps.pick, results.class_maps.maps)
        means = run.cached(
            "class_mean_cams", CLASS_MEANS_STEP_VERSION,
            (model.model_id, layer, evaluation.images, evaluation.labels, predictions, settings.class_mean_images,
             explain.scorecam_channels),
            lambda: counted(compute_class_mean_cams, step)(
                model.keras, model.to_input(evaluation.images), evaluation.labels, predictions, layer,
                settings.class_mean_images, tuple(methods), known, scorecam_channels=explain.scorecam_channels),
            record)
        shown = displayable(images)
        figures = {
            "cams": run.figure("cams", (shown, cams), lambda: plot_cams(shown, cams), record=record),
            "class_means": run.figure("class_mean_cams", asdict(means), lambda: plot_class_mean_cams(means.means),
                                      record=record),
        }
    chosen = resolve_cam_layer(model.keras, settings.layer, "methods.cams.layer")
    return CamsResult(layer, cams, means, {
        "available": True,
        "layer": layer,
        "grid": list(chosen.grid),
        "channels": chosen.channels,
        "scorecam_channels": explain.scorecam_channels or chosen.channels,
        "input_size": list(images.shape[1:3]),
        "cell": [round(images.shape[1] / chosen.grid[0], 1), round(images.shape[2] / chosen.grid[1], 1)],
        "configured": settings.layer is not None,
        "candidates": [{"name": c.name, "grid": list(c.grid), "channels": c.channels}
                       for c in cam_layer_candidates(model.keras)],
        "identical": _identical_pairs(cams, model, images, labels, layer),
        "methods": list(methods),
        "class_mean_images": settings.class_mean_images,
        "class_mean_counts": dict(zip(data.class_names, means.counts)),
        "regions": {key: describe_method_regions(results, key, cams[key]) for key in methods},
        "figures": figures,
    })


def _identical_pairs(cams: dict, model, images, labels, layer: str) -> list[dict]:
    """Pairs of methods whose sample maps are the same, and whether the layer's gradient being
    the same at every position (measured) explains it."""
    keys = list(cams)
    pairs = [[a, b] for i, a in enumerate(keys) for b in keys[i + 1:] if np.allclose(cams[a], cams[b], atol=1e-4)]
    if not pairs:
        return []
    uniform = gradient_is_uniform(model.keras, images, labels, layer)
    return [{"methods": pair, "uniform_gradient": uniform} for pair in pairs]
