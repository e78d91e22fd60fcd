"""The Mistakes page: the most frequent confusions (true -> predicted), a few of their images with
the maps for the predicted and the true class side by side, and where each puts its evidence.
Also "why some classes win": how distinct each class's mean map is, beside its accuracy.
"""

from __future__ import annotations

import re

import numpy as np

from generator.analysis.confusion import confused_pairs
from generator.analysis.mistakes import (
    MIN_GAIN,
    class_distinctness,
    contrast_evidence,
    designed_cue_verdict,
    drawn_facts,
    explain_winners,
    mistaken_images,
    rank_trend,
)
from generator.context import Run
from generator.explain.cams import compute_cams
from generator.explain.lime_method import compute_lime_for_classes
from generator.figures.common import displayable
from generator.figures.mistakes import plot_mistakes
from generator.results import MistakesResult, Results
from generator.sections.regions import region_maps_for
from generator.sections.settings import explain_settings

MISTAKES_STEP_VERSION = 1
MEASURED_IMAGES = 50           # at most this many images of a pair go into its Grad-CAM region facts
WINNER_METHOD = "gradcam"      # the class maps whose distinctness is set beside accuracy


def run_mistakes(run: Run, results: Results) -> MistakesResult:
    data, evaluation = results.data.dataset, results.evaluation
    names = data.class_names
    pairs = confused_pairs(evaluation.confusion.matrix, names, run.config.mistakes.pairs)
    with run.progress.stage("mistakes") as record:
        explained = [_explain_pair(run, results, pair, record) for pair in pairs]
    return MistakesResult({"pairs": explained, "methods": _methods(results), "shown": run.config.mistakes.shown,
                           "measured_cap": MEASURED_IMAGES, "min_gain": MIN_GAIN,
                           "winners": _winners(run, results)})


def _methods(results: Results) -> list[str]:
    return (["gradcam"] if results.cams.layer is not None else []) + ["lime"]


def _explain_pair(run: Run, results: Results, pair: dict, record) -> dict:
    """One confusion: its images, both classes' maps of them, their region contrast and figure."""
    data, evaluation, model = results.data.dataset, results.evaluation, results.model.model
    names, split = data.class_names, data.evaluation
    true, predicted = names.index(pair["true"]), names.index(pair["predicted"])
    picked = mistaken_images(split.labels, evaluation.predictions, evaluation.probabilities,
                             true, predicted)[:MEASURED_IMAGES]
    shown = picked[:run.config.mistakes.shown]
    images = model.to_input(split.images[picked])
    maps = run.cached("mistakes", MISTAKES_STEP_VERSION,
                      (model.model_id, images, true, predicted, len(shown), results.cams.layer,
                       run.config.methods.lime, run.config.seed),
                      lambda: _maps(run, results, images, true, predicted, len(shown)), record)
    regions = region_maps_for(results.data.regions, split.take(picked), images.shape[1:3])
    contrasts = {key: contrast_evidence(wrong, right, regions[:len(wrong)], results.data.regions.names)
                 for key, (wrong, right) in _comparable(maps).items()}
    design = _designed_pair(results, pair)
    cams = {f"gradcam_{side}": maps["gradcam"][side][:len(shown)]
            for side in ("wrong", "right") if "gradcam" in maps}
    limes = {f"lime_{side}": maps["lime"][side] for side in ("wrong", "right")}
    shown_images = displayable(images[:len(shown)])   # as the model sees them, like the maps
    scheme = run.config.figures.lime_colours
    figure = run.figure(_figure_name(pair),
                        (shown_images, cams, {key: [r.weight_map for r in v] for key, v in limes.items()}, scheme),
                        lambda: plot_mistakes(shown_images, cams, limes, scheme), record=record)
    return {
        **pair,
        "images": int(len(picked)),
        "rows": [int(row) for row in split.rows[shown]],
        "confidence": [round(float(evaluation.probabilities[i, predicted]), 4) for i in shown],
        "methods": {key: contrast.as_dict() for key, contrast in contrasts.items()},
        "designed": None if design is None else _designed_facts(design, contrasts),
        "drawn": None if split.truth is None else drawn_facts(split.truth, split.labels, picked, true, predicted),
        "figures": {"maps": figure},
    }


def _figure_name(pair: dict) -> str:
    """mistakes_<true>_<predicted>, class names lower-cased with anything but letters and digits as "-"."""
    return "mistakes_" + "_".join(re.sub(r"[^a-z0-9]+", "-", pair[side].lower()) for side in ("true", "predicted"))


def _maps(run: Run, results: Results, images: np.ndarray, true: int, predicted: int, shown: int) -> dict:
    """Grad-CAM of every measured image and LIME of the shown ones, for the predicted ("wrong") and
    the true ("right") class."""
    model, layer = results.model.model, results.cams.layer
    maps: dict = {}
    if layer is not None:
        for side, target in (("wrong", predicted), ("right", true)):
            targets = np.full(len(images), target)
            maps.setdefault("gradcam", {})[side] = compute_cams(model.keras, images, targets, layer,
                                                                methods=("gradcam",))["gradcam"]
    explain = explain_settings(run.config, model)
    explained = compute_lime_for_classes(model.keras, images[:shown], [[predicted, true]] * shown,
                                         run.config.methods.lime.num_samples, explain.lime_segmentation,
                                         explain.lime_fill, seed=run.config.seed)
    maps["lime"] = {"wrong": [w for w, _ in explained], "right": [r for _, r in explained]}
    return maps


def _comparable(maps: dict) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Per method, the (wrong, right) maps as arrays: LIME's superpixel weights as pixel maps."""
    out = {}
    if "gradcam" in maps:
        out["gradcam"] = (maps["gradcam"]["wrong"], maps["gradcam"]["right"])
    out["lime"] = tuple(np.stack([r.weight_map for r in maps["lime"][side]]) for side in ("wrong", "right"))
    return out


def _designed_facts(design: dict, contrasts: dict) -> dict:
    """The designed pair, each method's verdict on where the wrong class's evidence lies, and
    whether the methods that name a region agree (None when fewer than two do)."""
    verdicts = {key: designed_cue_verdict(contrast.wrong, design["shared"], design["distinct"])
                for key, contrast in contrasts.items()}
    named = [verdict for verdict in verdicts.values() if verdict != "none"]   # "none": no region stands out
    return {**design, "verdicts": verdicts, "agree": len(set(named)) == 1 if len(named) > 1 else None}


def _designed_pair(results: Results, pair: dict) -> dict | None:
    """The synthetic design's pair of these two classes (either way round), if there is one."""
    for designed in results.data.facts["designed_confusions"]:
        if set(designed["classes"]) == {pair["true"], pair["predicted"]}:
            return designed
    return None


def _winners(run: Run, results: Results) -> dict | None:
    """Each class's distinctness (from its class-mean Grad-CAM map over the class-balanced test
    images) beside its accuracy, and their rank correlation; None without Grad-CAM maps."""
    class_maps = results.class_maps
    if WINNER_METHOD not in class_maps.maps:
        return None
    names = results.data.dataset.class_names
    distinct = class_distinctness(class_maps.maps[WINNER_METHOD], class_maps.targets, names)
    accuracy = results.evaluation.confusion.per_class_accuracy
    counts = np.bincount(class_maps.targets, minlength=len(names))
    trained = np.bincount(results.data.dataset.train.labels, minlength=len(names)) / len(results.data.dataset.train)
    shares = {name: round(float(trained[k]), 4) for k, name in enumerate(names)}
    return {"method": WINNER_METHOD, "distinctness": distinct,
            "images": {name: int(counts[k]) for k, name in enumerate(names) if counts[k]},
            **explain_winners(distinct, accuracy, run.config.seed),
            "training_shares": shares, "frequency": rank_trend(shares, accuracy, run.config.seed)}
