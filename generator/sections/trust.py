"""Section 5: can we trust these explanations? Deletion/insertion, randomisation, localisation, agreement."""

from __future__ import annotations

import numpy as np

from generator.analysis.regions import template_region_map
from generator.analysis.trust import (compute_agreement, compute_deletion_insertion, compute_localisation,
                                      compute_randomisation_check)
from generator.context import Run
from generator.explain.cams import METHODS as CAM_METHODS
from generator.explain.cams import compute_cams
from generator.explain.saliency import compute_saliency, compute_smoothgrad
from generator.figures.trust import (plot_agreement, plot_deletion_insertion, plot_randomisation_correlations,
                                     plot_randomisation_maps)
from generator.vocabulary import OUTSIDE

TRUST_STEP_VERSION = 1
LOW_LOCALISATION = 0.5   # a class is flagged below this share of the other classes' mean localisation


def run_trust(run: Run) -> dict:
    if not run.config.trust.enabled or not run.results.get("cams"):
        return {"available": False}
    model, data, samples = run.results["model"], run.results["data"], run.results["samples"]
    settings, seed = run.config.trust, run.config.seed
    evaluation = data.evaluation
    pick = _balanced(evaluation.labels, settings.images)
    images, targets = model.to_input(evaluation.images[pick]), evaluation.labels[pick]
    layer = run.results["cams"]["layer"]
    methods = _explainers(run, layer)
    key = (model.model_id, images, targets, layer, settings, run.config.methods.saliency)
    with run.progress.stage("trust: deletion and insertion") as record:
        maps = run.cached("trust_maps", TRUST_STEP_VERSION, key, lambda: _all_maps(methods, model.model, images, targets),
                          record, model_images=len(images) * (2 + run.config.methods.saliency.smooth_samples + 68))
        curves = run.cached("trust_curves", TRUST_STEP_VERSION, key,
                            lambda: compute_deletion_insertion(model.model, images, targets, maps, settings.steps, seed),
                            record, model_images=len(images) * (2 * len(maps) + 2) * settings.steps)
    sample_images, sample_targets = model.to_input(samples.split.images), samples.split.labels
    with run.progress.stage("trust: randomisation check") as record:
        check = run.cached("trust_randomisation", TRUST_STEP_VERSION,
                           (model.model_id, sample_images, sample_targets, layer, seed, run.config.methods.saliency),
                           lambda: compute_randomisation_check(model.model, sample_images, sample_targets, methods, seed),
                           record)
    masks, mask_kind = _masks(run, evaluation, pick, images.shape[1:3])
    localisation = {m: compute_localisation(maps[m], masks) for m in maps}
    agreement = compute_agreement(maps, targets, data.class_names)
    figures = {
        "curves": run.figure("trust_curves", curves, lambda: plot_deletion_insertion(
            curves.fractions, {m: c.mean_curve for m, c in curves.deletion.items()},
            {m: c.mean_curve for m, c in curves.insertion.items()},
            curves.random_deletion.mean_curve, curves.random_insertion.mean_curve)),
        "randomisation_maps": run.figure("trust_randomisation_maps", (check.example_maps, sample_images[0]),
                                         lambda: plot_randomisation_maps(sample_images[check.example],
                                                                         check.example_maps, check.stage_names)),
        "randomisation": run.figure("trust_randomisation", check.mean_correlations, lambda: plot_randomisation_correlations(
            check.stage_names, check.mean_correlations, check.threshold)),
        "agreement": run.figure("trust_agreement", agreement.matrix, lambda: plot_agreement(agreement.matrix,
                                                                                          agreement.methods)),
    }
    by_class = _localisation_by_class(localisation, targets, data.class_names)
    return {
        "available": True,
        "images": len(images),
        "samples": len(sample_images),
        "steps": settings.steps,
        "baseline": curves.baseline,
        "mask": mask_kind,
        "methods": {m: {"deletion_auc": _r(curves.deletion[m].mean_auc), "insertion_auc": _r(curves.insertion[m].mean_auc),
                        "sanity_passed": check.passed[m],
                        "sanity_final_correlation": _r(check.mean_correlations[m][-1]),
                        "pointing_game": _r(localisation[m].pointing_game),
                        "mass_inside": _r(localisation[m].mean_mass_share)} for m in maps},
        "random": {"deletion_auc": _r(curves.random_deletion.mean_auc),
                   "insertion_auc": _r(curves.random_insertion.mean_auc)},
        "sanity_threshold": check.threshold,
        "stages": list(check.stage_names),
        "mask_area": _r(localisation["saliency"].mean_area_share),
        "agreement": {"mean": _r(agreement.mean_agreement), "threshold": agreement.threshold,
                      "disagreeing": list(agreement.disagreeing),
                      "matrix": [[_r(v) for v in row] for row in agreement.matrix]},
        "localisation_by_class": by_class,
        "flags": _low_localisation(by_class),
        "figures": figures,
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


def _localisation_by_class(localisation: dict, targets, class_names) -> dict:
    """Per method and class: the mass share inside the mask divided by the mask's area share
    (1: no better than a uniform map), so classes with small or large masks compare fairly."""
    def lift(result, members):
        return _r(result.mass_share[members].mean() / max(result.area_share[members].mean(), 1e-9))

    return {m: {name: lift(result, targets == k) if np.any(targets == k) else None
                for k, name in enumerate(class_names)} for m, result in localisation.items()}


def _low_localisation(by_class: dict) -> list[dict]:
    """Classes whose localisation lift is far below the other classes' mean, per method."""
    flags = []
    for method, shares in by_class.items():
        known = {c: s for c, s in shares.items() if s is not None}
        for cls, share in known.items():
            others = [s for c, s in known.items() if c != cls]
            if others and share < LOW_LOCALISATION * float(np.mean(others)):
                flags.append({"kind": "low_localisation", "class": cls, "method": method, "share": share,
                              "others": _r(float(np.mean(others)))})
    return flags


def _r(value) -> float:
    return round(float(value), 4)
