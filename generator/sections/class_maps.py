"""Maps of many test images: every gradient and CAM method on a class-balanced part of the evaluated split.

Sections 1 and 4 describe each class's regions from them (not from one sample image), and
section 5 measures the methods on them.
"""

from __future__ import annotations

import numpy as np

from generator.context import Run
from generator.explain.methods import METHODS, explainers
from generator.results import ClassMapsResult, Results
from generator.sections.settings import explain_settings

CLASS_MAPS_STEP_VERSION = 3   # the step that was section 5's "trust_maps"


def run_class_maps(run: Run, results: Results) -> ClassMapsResult:
    data, model = results.data.dataset, results.model.model
    evaluation = data.evaluation
    settings = explain_settings(run.config, model)
    methods = [m for m in METHODS if m.trusted_on == "evaluation" and (settings.cam_layer or not m.needs_conv)]
    explain = explainers(methods, settings)
    pick = balanced(evaluation.labels, run.config.trust.images)
    images, targets = model.to_input(evaluation.images[pick]), evaluation.labels[pick]
    # What the maps depend on besides the model and images.
    map_settings = (settings.cam_layer, run.config.seed, run.config.methods.saliency, settings.scorecam_channels)
    with run.progress.stage("maps of test images") as record:
        maps = run.cached("class_maps", CLASS_MAPS_STEP_VERSION, (model.model_id, images, targets, map_settings),
                          lambda: {key: fn(model.keras, images, targets) for key, fn in explain.items()}, record)
    counts = np.bincount(targets, minlength=len(data.class_names))
    return ClassMapsResult(pick, images, targets, maps, {
        "images": len(pick), "per_class": {name: int(n) for name, n in zip(data.class_names, counts)}})


def balanced(labels: np.ndarray, count: int) -> np.ndarray:
    """Up to `count` image indices taken class by class in turn (first images of each class first)."""
    rank = np.zeros(len(labels), np.int64)
    for k in np.unique(labels):
        members = np.flatnonzero(labels == k)
        rank[members] = np.arange(len(members))
    order = np.lexsort((labels, rank))
    return np.sort(order[:count])
