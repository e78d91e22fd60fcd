"""The model's mistakes: which images it confuses, how the evidence for the wrong class compares
with the evidence for the right one, and, on synthetic faces, what those faces were drawn as.

Also the "why do some classes win" measure: how distinct each class's mean map is from the
others', set beside the class's accuracy.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np

from generator.analysis.regions import RegionFacts, describe_attribution_mean
from generator.analysis.trust.ranks import unit_ranks
from generator.data import DrawnTruth

# A region "gains" evidence for the wrong class only from this many points of the mass up.
MIN_GAIN = 0.05
# The rank correlation between distinctness and accuracy "holds" when a one-sided permutation
# test puts it below this p-value.
SIGNIFICANCE_LEVEL = 0.05
EXACT_PERMUTATIONS_UP_TO = 8      # classes; above this, PERMUTATION_SAMPLES seeded permutations
PERMUTATION_SAMPLES = 20_000


def mistaken_images(labels, predictions, probabilities, true: int, predicted: int) -> np.ndarray:
    """Indices of the images of class `true` predicted as `predicted`, the most confident mistake
    first (the predicted class's probability; ties in index order)."""
    members = np.flatnonzero((np.asarray(labels) == true) & (np.asarray(predictions) == predicted))
    return members[np.lexsort((members, -np.asarray(probabilities)[members, predicted]))]


@dataclass(frozen=True)
class EvidenceContrast:
    """Where a method puts the evidence for the wrong (predicted) class and for the right (true) one,
    on the same images: region facts of each (area-aware, see analysis.regions), and per region
    how much more of the mass the wrong class's maps put there than the right class's (`gain`,
    in shares of the mass). `most_gained`: the region that gains most, if by MIN_GAIN or more."""

    wrong: RegionFacts
    right: RegionFacts
    gain: dict[str, float]
    most_gained: str | None

    def as_dict(self) -> dict:
        return {"wrong": self.wrong.as_dict(), "right": self.right.as_dict(), "gain": self.gain,
                "most_gained": self.most_gained}


def contrast_evidence(wrong_maps, right_maps, region_maps, names: tuple[str, ...]) -> EvidenceContrast:
    """`wrong_maps` and `right_maps` (N, H, W): one method's maps of the same N images for the
    predicted and for the true class; `region_maps` (N, H, W) or one (H, W) template."""
    wrong = describe_attribution_mean(wrong_maps, region_maps, names)
    right = describe_attribution_mean(right_maps, region_maps, names)
    gain = {name: round(wrong.shares[name] - right.shares[name], 4) for name in names}
    best = max(names, key=lambda name: gain[name])
    return EvidenceContrast(wrong, right, gain, best if gain[best] >= MIN_GAIN else None)


def designed_cue_verdict(wrong: RegionFacts, shared: list[str], distinct: list[str]) -> str:
    """Where the evidence for the wrong class lies, against a designed pair's regions:
    "shared" (its top region, or one tied with it, is the pair's shared cue), "distinct" (a
    region that tells the two classes apart), "elsewhere", or "none" (no region stands out)."""
    if wrong.top is None:
        return "none"
    named = [wrong.top, *wrong.tied]
    if any(region in shared for region in named):
        return "shared"
    return "distinct" if any(region in distinct for region in named) else "elsewhere"


def drawn_facts(truth: DrawnTruth, labels, picked: np.ndarray, true: int, predicted: int) -> dict:
    """What the mistaken images `picked` were drawn as: how many carry a label that label noise
    moved away from the drawn expression (and how many of those were drawn as the predicted
    class), how many were drawn partway toward the predicted class, and their mean intensity
    beside that of every image labelled and drawn as the true class."""
    labels = np.asarray(labels)
    drawn = truth.drawn[picked]
    same_class = (labels == true) & (truth.drawn == true)
    return {
        "images": int(len(picked)),
        "relabelled": int(np.sum(drawn != labels[picked])),
        "drawn_as_predicted": int(np.sum(drawn == predicted)),
        "drifted_to_predicted": int(np.sum(truth.drift_class[picked] == predicted)),
        "intensity": round(float(truth.intensity[picked].mean()), 4) if len(picked) else None,
        "class_intensity": round(float(truth.intensity[same_class].mean()), 4) if same_class.any() else None,
    }


# --- why some classes win ---------------------------------------------------------------------

def class_distinctness(maps, targets, class_names) -> dict[str, float]:
    """Per class with maps: 1 - the mean Pearson correlation of its mean map with each other
    class's mean map (0: its maps look like everyone's; larger: its evidence lies elsewhere)."""
    maps, targets = np.asarray(maps, np.float64), np.asarray(targets)
    present = [k for k in range(len(class_names)) if np.any(targets == k)]
    if len(present) < 2:
        return {}
    means = np.stack([maps[targets == k].mean(axis=0).ravel() for k in present])
    with np.errstate(divide="ignore", invalid="ignore"):   # a flat mean map has no spread
        correlation = np.corrcoef(means)
    correlation = np.nan_to_num(correlation, nan=0.0)     # a flat mean map correlates with nothing
    others = (correlation.sum(axis=1) - 1.0) / (len(present) - 1)
    return {class_names[k]: round(float(1.0 - r), 4) for k, r in zip(present, others)}


def rank_correlation_test(x, y, seed: int = 0) -> tuple[float, float, float]:
    """Spearman's rho of `x` and `y` and its one-sided permutation p-values (rho this high, this
    low), exact over every permutation for a few values, sampled (seeded) beyond."""
    ux, uy = unit_ranks(np.asarray([x, y], np.float64))
    rho = float(ux @ uy)
    if len(ux) <= EXACT_PERMUTATIONS_UP_TO:
        shuffled = np.array(list(itertools.permutations(uy)))
    else:
        rng = np.random.default_rng(seed)
        shuffled = np.array([rng.permutation(uy) for _ in range(PERMUTATION_SAMPLES)])
    null = shuffled @ ux
    return rho, float(np.mean(null >= rho - 1e-12)), float(np.mean(null <= rho + 1e-12))


def explain_winners(distinctness: dict[str, float], accuracy: dict[str, float | None], seed: int = 0) -> dict:
    """Distinctness beside accuracy over the classes with both: the rank trend (see rank_trend) of
    "classes whose evidence is more distinct are recognised better", and each class's place by
    distinctness and by accuracy (1: highest)."""
    classes = [c for c in distinctness if accuracy.get(c) is not None]
    places = (_places_of(classes, distinctness, accuracy) if len(classes) >= 4
              else {"distinctness_rank": {}, "accuracy_rank": {}, "best": []})
    return {"classes": len(classes), **rank_trend(distinctness, accuracy, seed),
            "significance": SIGNIFICANCE_LEVEL, **places}


def rank_trend(values: dict[str, float], accuracy: dict[str, float | None], seed: int = 0) -> dict:
    """Whether classes with higher `values` are recognised better, over the classes with both:
    Spearman's rho, its one-sided permutation p-values and a verdict: "holds" (rho > 0, p_higher
    < SIGNIFICANCE_LEVEL), "opposite" (rho < 0, p_lower < SIGNIFICANCE_LEVEL), "unclear"
    otherwise or with fewer than 4 classes. Used for distinctness and for training frequency."""
    classes = [c for c in values if accuracy.get(c) is not None]
    if len(classes) < 4:
        return {"correlation": None, "p_higher": None, "p_lower": None, "verdict": "unclear"}
    rho, p_higher, p_lower = rank_correlation_test([values[c] for c in classes], [accuracy[c] for c in classes], seed)
    verdict = ("holds" if rho > 0 and p_higher < SIGNIFICANCE_LEVEL
               else "opposite" if rho < 0 and p_lower < SIGNIFICANCE_LEVEL else "unclear")
    return {"correlation": round(rho, 4), "p_higher": round(p_higher, 4), "p_lower": round(p_lower, 4),
            "verdict": verdict}


def _places_of(classes: list[str], distinctness: dict, accuracy: dict) -> dict:
    """Each class's place by distinctness and by accuracy, and the best two by accuracy (with ties)."""
    by_accuracy = _places({c: accuracy[c] for c in classes})
    by_distinctness = _places({c: distinctness[c] for c in classes})
    best = sorted((c for c in classes if by_accuracy[c] <= 2), key=lambda c: by_accuracy[c])
    return {"distinctness_rank": by_distinctness, "accuracy_rank": by_accuracy,
            "best": [{"class": c, "distinctness_rank": by_distinctness[c]} for c in best]}


def _places(values: dict[str, float]) -> dict[str, int]:
    """1 for the highest value, 2 for the next, ...; equal values (to 4 decimals) share a place."""
    rounded = {name: round(value, 4) for name, value in values.items()}
    return {name: 1 + sum(other > value for other in rounded.values()) for name, value in rounded.items()}
