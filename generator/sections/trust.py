"""Section 5: can we trust these explanations? Deletion/insertion, randomisation, localisation, agreement.

The gradient and CAM methods are measured on `trust.images` evaluation images; LIME, a
thousand model images per explanation, on the sample images that section 3 explains.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from generator.analysis.trust import (
    MIN_GAIN,
    SIGNIFICANCE,
    compare_with_random,
    compute_agreement,
    compute_deletion_insertion,
    compute_localisation,
    compute_randomisation_check,
    judged,
    judged_stages,
    localisation_lift,
    low_localisation_flags,
    merged,
    randomisation_stages,
)
from generator.context import Run
from generator.explain.methods import METHODS, explainers
from generator.figures.trust import plot_deletion_insertion, plot_randomisation_correlations, plot_randomisation_maps
from generator.progress import counted
from generator.results import Results, TrustResult
from generator.sections.settings import explain_settings

TRUST_STEP_VERSION = 3  # 3: SmoothGrad noise independent of the batch
RANDOMISATION_STEP_VERSION = 5  # 5: LIME's judged maps from section 3
STAGES = ("trust: deletion and insertion", "trust: randomisation check")


def trust_runs(config, cam_layer: str | None) -> bool:
    """Whether section 5 runs: it is on and the model has a layer for the CAMs."""
    return config.trust.enabled and cam_layer is not None


def run_trust(run: Run, results: Results) -> TrustResult:
    if not trust_runs(run.config, results.cams.layer):
        reason = "trust.enabled is off" if not run.config.trust.enabled else "no CAM layer to check"
        for stage in STAGES:
            run.progress.skip(stage, reason)
        return TrustResult({"available": False})
    data, model, samples = results.data.dataset, results.model.model, results.samples.chosen
    settings = run.config.trust
    evaluation = data.evaluation
    class_maps = results.class_maps
    pick, maps = class_maps.pick, dict(class_maps.maps)
    measured = _Images(class_maps.images, class_maps.targets)
    sampled = _Images(model.to_input(samples.split.images), samples.split.labels)
    lime_maps = {"lime": np.stack([r.weight_map for r in results.lime.own_class])}
    explain = explainers(METHODS, explain_settings(run.config, model))
    # What the gradient and CAM maps depend on besides the model and images.
    map_settings = (results.cams.layer, run.config.seed, run.config.methods.saliency,
                    explain_settings(run.config, model).scorecam_channels)
    deletion_stage, randomisation_stage = STAGES
    # The curves of the evaluation images, then of the sample images.
    with run.progress.stage(deletion_stage) as record, run.progress.steps(2, "step") as step:
        curves = _deletion_insertion(run, model, measured, maps, record, step)
        lime_curves = _deletion_insertion(run, model, sampled, lime_maps, record, step)
    others_explain = {k: v for k, v in explain.items() if k != "lime"}
    # Every map of the trained model is one sections 1, 3 and 4 made of the sample images.
    trained_maps = {**results.saliency.maps, **results.cams.maps}
    with run.progress.stage(randomisation_stage) as record:
        # Cached apart, so changing LIME's settings leaves the other methods' check alone.
        others = _randomisation(run, model, sampled, others_explain, map_settings,
                                {k: trained_maps[k] for k in others_explain}, record)
        judged_lime = {} if results.lime.judged_maps is None else {"lime": results.lime.judged_maps}
        lime = _randomisation(run, model, sampled, {"lime": explain["lime"]}, run.config.methods.lime, lime_maps,
                              record, judged_lime)
    check = judged(merged(others, lime), settings.sanity_threshold)
    scheme, shape = results.data.regions, measured.images.shape[1:3]
    masks, mask_kind = _masks(scheme, evaluation, pick, shape)
    sample_masks, _ = _masks(scheme, samples.split, slice(None), shape)
    localisation = _localisation(maps, masks, lime_maps, sample_masks)
    agreement = compute_agreement(maps, measured.targets, data.class_names, settings.agreement_threshold)
    lift = {m: _lift_by_class(localisation[m], measured.targets, data.class_names) for m in maps} \
        if localisation else {}
    image_sets = {"evaluation": (curves, len(measured.images)), "samples": (lime_curves, len(sampled.images))}
    versus_random = {**compare_with_random(curves), **compare_with_random(lime_curves)}
    return TrustResult({
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
                        **versus_random[m],
                        **_sanity(check, m),
                        **_localisation_facts(localisation.get(m))}
                    for name, (result, _) in image_sets.items() for m in result.deletion},
        "random_rule": {"standard_errors": SIGNIFICANCE, "min_gain": MIN_GAIN},
        "sanity_threshold": check.threshold,
        "stages": list(check.stage_names),
        "all_stages": [stage[0] for stage in check.stages],
        "head_stages": list(check.stage_names[:check.head]),
        "mask_area": _localisation_facts(localisation.get("saliency"))["mask_area"],
        "agreement": _agreement_facts(agreement, data.class_names),
        "localisation_by_class": lift,
        "low_localisation": settings.low_localisation,
        "flags": low_localisation_flags(lift, settings.low_localisation),
        "figures": _figures(run, curves, lime_curves, check, sampled.images),
    })


def _sanity(check, method: str) -> dict:
    """A method's randomisation check: its verdict, where it first fell below the threshold and how
    many stages before that one were re-initialised without being compared, its mean correlation
    after each stage and once the head is random."""
    means = check.mean_correlations[method]
    first = check.first_below[method]
    return {"sanity_passed": check.passed[method], "sanity_verdict": check.verdicts[method],
            "sanity_first_below": None if first is None else check.stage_names[first],
            "sanity_unjudged_before": 0 if not first else check.judged[first] - check.judged[first - 1] - 1,
            "sanity_correlations": [_r(v) for v in means], "sanity_after_head": _r(means[check.head - 1]),
            "sanity_final_correlation": _r(means[-1])}


def _agreement_facts(agreement, class_names) -> dict:
    """The mean agreement, each pair of methods from the weakest up, each class's mean over the pairs,
    and the classes below the threshold."""
    methods, matrix = agreement.methods, agreement.matrix
    pairs = sorted(({"methods": [a, b], "correlation": _r(matrix[i, j]),
                     "below": bool(matrix[i, j] < agreement.threshold)}
                    for i, a in enumerate(methods) for j, b in enumerate(methods) if i < j),
                   key=lambda p: p["correlation"])
    return {"methods": list(methods), "mean": _r(agreement.mean_agreement), "threshold": agreement.threshold,
            "pairs": pairs,
            "below": sum(p["below"] for p in pairs), "disagreeing": list(agreement.disagreeing),
            "by_class": {name: _r(v) for name, v in zip(class_names, agreement.class_agreement) if np.isfinite(v)},
            "matrix": [[_r(v) for v in row] for row in matrix],
            "blank": {m: int(n) for m, n in zip(methods, agreement.blank)}}


class _Images(NamedTuple):
    images: np.ndarray     # model input
    targets: np.ndarray    # the class each image is explained for


def _deletion_insertion(run: Run, model, chosen: _Images, maps: dict, record, step):
    steps, seed = run.config.trust.steps, run.config.seed
    return run.cached("trust_curves", TRUST_STEP_VERSION, (model.model_id, chosen, maps, steps, seed),
                      lambda: counted(compute_deletion_insertion, step)(model.keras, *chosen, maps, steps, seed),
                      record)


def _counted_all(explain: dict, step) -> dict:
    """The same explainers, each advancing `step` once per call."""
    return {key: counted(function, step) for key, function in explain.items()}


def _randomisation(run: Run, model, sampled: _Images, explain: dict, settings, original_maps: dict, record,
                   judged_maps: dict | None = None):
    """The cached randomisation check of `explain`'s methods (verdicts are made by the caller);
    `judged_maps` holds maps after the judged stages already made (see compute_randomisation_check)."""
    trust, seed = run.config.trust, run.config.seed

    def compute():
        points = judged_stages(model.keras, randomisation_stages(model.keras), trust.sanity_stages)
        calls = len([m for m in explain if m not in (judged_maps or {})]) * len(points)
        with run.progress.steps(calls, "step") as step:
            return compute_randomisation_check(
                model.keras, *sampled, _counted_all(explain, step), trust.sanity_threshold, seed,
                original_maps=original_maps, conv_stages=trust.sanity_stages, judged_maps=judged_maps)

    return run.cached("trust_randomisation", RANDOMISATION_STEP_VERSION,
                      (model.model_id, sampled, list(explain), settings, seed, trust.sanity_stages), compute, record)


def _figures(run: Run, curves, lime_curves, check, sample_images) -> dict:
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
                                                                         check.example_maps)),
        "randomisation": run.figure("trust_randomisation", (check.mean_correlations, check.threshold),
                                    lambda: plot_randomisation_correlations(check.mean_correlations, check.threshold)),
    }


def _masks(scheme, evaluation, pick, shape) -> tuple[np.ndarray | None, str]:
    """The synthetic evidence masks, the face (every template region but `outside`) on real faces,
    or none where no mask means anything (data that are not faces)."""
    if scheme.kind != "face":
        return None, "none"
    if evaluation.evidence is not None and evaluation.evidence.shape[1:] == tuple(shape):
        return evaluation.evidence[pick], "evidence"
    return scheme.subject_mask(tuple(shape)), "face"


def _localisation(maps: dict, masks, lime_maps: dict, sample_masks) -> dict:
    """Method -> localisation against the masks; empty where there are no masks."""
    if masks is None:
        return {}
    localisation = {m: compute_localisation(maps[m], masks) for m in maps}
    localisation["lime"] = compute_localisation(lime_maps["lime"], sample_masks)
    return localisation


def _localisation_facts(result) -> dict:
    """A method's pointing game, mass inside the mask, the mask's area and their ratio (null:
    not measured, as where the data have no meaningful mask)."""
    if result is None:
        return dict.fromkeys(("pointing_game", "mass_inside", "mask_area", "mass_lift"))
    return {"pointing_game": _r(result.pointing_game), "mass_inside": _r(result.mean_mass_share),
            "mask_area": _r(result.mean_area_share),
            "mass_lift": _r(result.mean_mass_share / max(result.mean_area_share, 1e-9))}


def _lift_by_class(result, targets, class_names) -> dict:
    """Class -> localisation lift over its images (None: no image of the class)."""
    return {name: _r(localisation_lift(result, targets == k)) if np.any(targets == k) else None
            for k, name in enumerate(class_names)}


def _r(value) -> float:
    return round(float(value), 4)
