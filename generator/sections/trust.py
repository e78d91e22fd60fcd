"""Section 5: can we trust these explanations? Deletion/insertion, randomisation, localisation, agreement.

The gradient and CAM methods are measured on `trust.images` evaluation images; LIME, a
thousand model images per explanation, on the sample images that section 3 explains.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from generator.analysis.regions import template_region_map
from generator.analysis.trust import (compute_agreement, compute_deletion_insertion, compute_localisation,
                                      compute_randomisation_check, judged, localisation_lift,
                                      low_localisation_flags)
from generator.context import Run
from generator.explain.cams import METHODS as CAM_METHODS
from generator.explain.cams import compute_cams
from generator.explain.lime_method import DEFAULT_SEGMENTATION, compute_lime
from generator.explain.saliency import compute_saliency, compute_smoothgrad
from generator.figures.trust import (plot_agreement, plot_deletion_insertion, plot_randomisation_correlations,
                                     plot_randomisation_maps)
from generator.sections.model import input_value
from generator.vocabulary import OUTSIDE

TRUST_STEP_VERSION = 2


def run_trust(run: Run) -> dict:
    if not run.config.trust.enabled or not run.results.get("cams"):
        return {"available": False}
    model, data, samples = run.results["model"], run.results["data"], run.results["samples"]
    settings = run.config.trust
    evaluation = data.evaluation
    pick = _balanced(evaluation.labels, settings.images)
    measured = _Images(model.to_input(evaluation.images[pick]), evaluation.labels[pick])
    sampled = _Images(model.to_input(samples.split.images), samples.split.labels)
    lime_maps = {"lime": np.stack([r.weight_map for r in run.results["lime"][:len(sampled.images)]])}
    layer = run.results["cams"]["layer"]
    explainers = _explainers(run, layer)
    # What the gradient and CAM maps depend on besides the model and images.
    map_settings = (layer, run.config.seed, run.config.methods.saliency)
    with run.progress.stage("trust: deletion and insertion") as record:
        maps = run.cached("trust_maps", TRUST_STEP_VERSION, (model.model_id, measured, map_settings),
                          lambda: _all_maps(explainers, model.model, *measured), record)
        curves = _deletion_insertion(run, measured, maps, record)
        lime_curves = _deletion_insertion(run, sampled, lime_maps, record)
    with run.progress.stage("trust: randomisation check") as record:
        explainers["lime"] = _lime_explainer(run)
        # The trained model's LIME maps come from section 3; every other map is computed afresh.
        check = run.cached("trust_randomisation", TRUST_STEP_VERSION,
                           (model.model_id, sampled, map_settings, run.config.methods.lime),
                           lambda: compute_randomisation_check(model.model, *sampled, explainers, run.config.seed,
                                                               original_maps=lime_maps), record)
    check = judged(check, settings.sanity_threshold)
    masks, mask_kind = _masks(run, evaluation, pick, measured.images.shape[1:3])
    localisation = {m: compute_localisation(maps[m], masks) for m in maps}
    sample_masks, _ = _masks(run, samples.split, slice(None), measured.images.shape[1:3])
    localisation["lime"] = compute_localisation(lime_maps["lime"], sample_masks)
    agreement = compute_agreement(maps, measured.targets, data.class_names, settings.agreement_threshold)
    lift = {m: _lift_by_class(localisation[m], measured.targets, data.class_names) for m in maps}
    image_sets = {"evaluation": (curves, len(measured.images)), "samples": (lime_curves, len(sampled.images))}
    return {
        "available": True,
        "images": len(measured.images),
        "samples": len(sampled.images),
        "steps": settings.steps,
        "baseline": curves.baseline,
        "mask": mask_kind,
        "image_sets": {name: {"images": count, "methods": list(result.deletion),
                              "random": {"deletion_auc": _r(result.random_deletion.mean_auc),
                                         "insertion_auc": _r(result.random_insertion.mean_auc)}}
                       for name, (result, count) in image_sets.items()},
        "methods": {m: {"image_set": name,
                        "deletion_auc": _r(result.deletion[m].mean_auc),
                        "insertion_auc": _r(result.insertion[m].mean_auc),
                        "sanity_passed": check.passed[m],
                        "sanity_final_correlation": _r(check.mean_correlations[m][-1]),
                        "pointing_game": _r(localisation[m].pointing_game),
                        "mass_inside": _r(localisation[m].mean_mass_share)}
                    for name, (result, _) in image_sets.items() for m in result.deletion},
        "sanity_threshold": check.threshold,
        "stages": list(check.stage_names),
        "mask_area": _r(localisation["saliency"].mean_area_share),
        "agreement": {"mean": _r(agreement.mean_agreement), "threshold": agreement.threshold,
                      "disagreeing": list(agreement.disagreeing),
                      "matrix": [[_r(v) for v in row] for row in agreement.matrix]},
        "localisation_by_class": lift,
        "low_localisation": settings.low_localisation,
        "flags": low_localisation_flags(lift, settings.low_localisation),
        "figures": _figures(run, curves, lime_curves, check, agreement, sampled.images),
    }


class _Images(NamedTuple):
    images: np.ndarray     # model input
    targets: np.ndarray    # the class each image is explained for


def _deletion_insertion(run: Run, chosen: _Images, maps: dict, record):
    settings, model = run.config.trust, run.results["model"]
    return run.cached("trust_curves", TRUST_STEP_VERSION, (model.model_id, chosen, maps, settings.steps, run.config.seed),
                      lambda: compute_deletion_insertion(model.model, *chosen, maps, settings.steps, run.config.seed),
                      record)


def _figures(run: Run, curves, lime_curves, check, agreement, sample_images) -> dict:
    def plot_curves(result):
        return plot_deletion_insertion(
            result.fractions, {m: c.mean_curve for m, c in result.deletion.items()},
            {m: c.mean_curve for m, c in result.insertion.items()},
            result.random_deletion.mean_curve, result.random_insertion.mean_curve)

    return {
        "curves": run.figure("trust_curves", curves, lambda: plot_curves(curves)),
        "curves_lime": run.figure("trust_curves_lime", lime_curves, lambda: plot_curves(lime_curves)),
        "randomisation_maps": run.figure("trust_randomisation_maps", (check.example_maps, sample_images[0]),
                                         lambda: plot_randomisation_maps(sample_images[check.example],
                                                                         check.example_maps, check.stage_names)),
        "randomisation": run.figure("trust_randomisation", (check.mean_correlations, check.threshold),
                                    lambda: plot_randomisation_correlations(
                                        check.stage_names, check.mean_correlations, check.threshold)),
        "agreement": run.figure("trust_agreement", agreement.matrix, lambda: plot_agreement(agreement.matrix,
                                                                                          agreement.methods)),
    }


def _balanced(labels: np.ndarray, count: int) -> np.ndarray:
    """Up to `count` image indices taken class by class in turn (first images of each class first)."""
    rank = np.zeros(len(labels), np.int64)
    for k in np.unique(labels):
        members = np.flatnonzero(labels == k)
        rank[members] = np.arange(len(members))
    order = np.lexsort((labels, rank))
    return np.sort(order[:count])


def _explainers(run: Run, layer: str) -> dict:
    """The gradient and CAM methods as callables(model, images, targets) -> maps, seeded."""
    saliency = run.config.methods.saliency
    return {
        "saliency": compute_saliency,
        "smoothgrad": lambda m, x, t: compute_smoothgrad(m, x, t, saliency.smooth_samples, saliency.smooth_noise,
                                                         seed=run.config.seed),
        CAM_METHODS: lambda m, x, t: compute_cams(m, x, t, layer),
    }


def _lime_explainer(run: Run):
    """LIME as section 3 runs it, as a callable(model, images, targets) -> weight maps."""
    settings = run.config.methods.lime
    segmentation = dict(DEFAULT_SEGMENTATION, n_segments=settings.segments)
    fill = input_value(run.results["model"], settings.fill)
    return lambda m, x, t: np.stack([r.weight_map for r in compute_lime(
        m, x, t, settings.num_samples, segmentation, fill, seed=run.config.seed)]).astype(np.float32)


def _all_maps(methods: dict, model, images, targets) -> dict:
    maps = {}
    for key, explain in methods.items():
        result = explain(model, images, targets)
        maps.update(result if isinstance(key, tuple) else {key: result})
    return maps


def _masks(run: Run, evaluation, pick, shape) -> tuple[np.ndarray, str]:
    """The synthetic evidence masks, or the face (every template region but `outside`) on real faces."""
    if evaluation.evidence is not None and evaluation.evidence.shape[1:] == tuple(shape):
        return evaluation.evidence[pick], "evidence"
    return template_region_map(shape, run.config.regions) != OUTSIDE, "face"


def _lift_by_class(result, targets, class_names) -> dict:
    """Class -> localisation lift over its images (None: no image of the class)."""
    return {name: _r(localisation_lift(result, targets == k)) if np.any(targets == k) else None
            for k, name in enumerate(class_names)}


def _r(value) -> float:
    return round(float(value), 4)
