"""Findings: notes on per-class accuracy and flags on where each class's attribution lies.

Each flag rule is a small function (shares by class, method) -> list of flags; a flag is a
dict with a machine-readable "kind" and its numbers. Add a rule to FLAG_RULES to extend.
"""

from __future__ import annotations

import numpy as np

from generator.vocabulary import REGIONS

# A class's recall is "far from the mean" when it differs from the mean recall by more than
# one (population) standard deviation AND by at least this much (so a flat profile has none).
OUTLIER_MIN_GAP = 0.10
# "Attention mostly outside the face": the `outside` share of a class exceeds this.
OUTSIDE_THRESHOLD = 0.5


def describe_confusion_notes(per_class_accuracy: dict, confused_pairs: list, class_names,
                             top: int = 3) -> dict:
    """Best and worst classes, classes far from the mean recall, the most confused pairs.

    `per_class_accuracy` {class: recall or None (absent)}, `confused_pairs` [{"true",
    "predicted", "count", "share"}] largest first (analysis.confusion). Returns {"evaluated":
    number of classes with a recall, "missing": [classes without], "mean", "std", "spread"
    (best - worst), "best" / "worst": {"class", "accuracy"} or None (ties: first in class
    order), "above" / "below": [{"class", "accuracy", "gap": recall - mean}] largest |gap|
    first, "pairs": the first `top` pairs, each with "mutual": whether the reverse pair is
    also among them}.
    """
    present = [c for c in class_names if per_class_accuracy.get(c) is not None]
    recall = np.array([per_class_accuracy[c] for c in present], dtype=np.float64)
    notes = {"evaluated": len(present), "missing": [c for c in class_names if c not in present]}
    if not present:
        return {**notes, "mean": None, "std": None, "spread": None, "best": None, "worst": None,
                "above": [], "below": [], "pairs": _pairs(confused_pairs, top)}
    mean, std = float(recall.mean()), float(recall.std())
    gaps = recall - mean
    far = (np.abs(gaps) > std) & (np.abs(gaps) >= OUTLIER_MIN_GAP - 1e-9)
    outliers = sorted(np.flatnonzero(far), key=lambda i: -abs(gaps[i]))
    entry = lambda i: {"class": present[i], "accuracy": round(float(recall[i]), 4)}  # noqa: E731
    return {
        **notes,
        "mean": round(mean, 4),
        "std": round(std, 4),
        "spread": round(float(recall.max() - recall.min()), 4),
        "best": entry(int(np.argmax(recall))),
        "worst": entry(int(np.argmin(recall))),
        "above": [{**entry(i), "gap": round(float(gaps[i]), 4)} for i in outliers if gaps[i] > 0],
        "below": [{**entry(i), "gap": round(float(gaps[i]), 4)} for i in outliers if gaps[i] < 0],
        "pairs": _pairs(confused_pairs, top),
    }


def _pairs(confused_pairs: list, top: int) -> list[dict]:
    chosen = [dict(p) for p in confused_pairs[:top]]
    seen = {(p["true"], p["predicted"]) for p in chosen}
    for p in chosen:
        p["mutual"] = (p["predicted"], p["true"]) in seen
    return chosen


# --- attribution flags --------------------------------------------------------------------------

def describe_flags(region_shares_by_class: dict, method: str | None = None,
                   outside_threshold: float = OUTSIDE_THRESHOLD) -> list[dict]:
    """Every flag of every rule for one method's per-class region shares.

    `region_shares_by_class` {class: {region: share}} (or {class: RegionShares}). Flags:
    {"kind": "outside_face", "class", "method", "share", "threshold"}: the class's `outside`
    share exceeds the threshold; {"kind": "unique_region", "class", "method", "region",
    "share"}: no other class has this top region; {"kind": "common_region", "method",
    "region", "classes", "mean_share"}: every class (two or more) has the same top region.
    """
    shares = {c: _shares_of(s) for c, s in region_shares_by_class.items()}
    flags = []
    for rule in FLAG_RULES:
        flags += rule(shares, method, outside_threshold=outside_threshold)
    return flags


def flag_outside_face(shares: dict, method, outside_threshold: float = OUTSIDE_THRESHOLD, **_) -> list[dict]:
    """Classes whose attribution lies mostly outside the face."""
    return [{"kind": "outside_face", "class": c, "method": method, "share": round(s["outside"], 4),
             "threshold": outside_threshold}
            for c, s in shares.items() if s.get("outside", 0.0) > outside_threshold]


def flag_unique_regions(shares: dict, method, **_) -> list[dict]:
    """Classes whose top region is the top region of no other class."""
    tops = {c: _top(s) for c, s in shares.items()}
    if len([t for t in tops.values() if t]) < 2:
        return []
    return [{"kind": "unique_region", "class": c, "method": method, "region": t,
             "share": round(shares[c][t], 4)}
            for c, t in tops.items() if t and sum(u == t for u in tops.values()) == 1]


def flag_common_region(shares: dict, method, **_) -> list[dict]:
    """Every class (at least two) has the same top region."""
    tops = {c: _top(s) for c, s in shares.items()}
    regions = set(tops.values())
    if len(tops) < 2 or len(regions) != 1 or None in regions:
        return []
    region = regions.pop()
    return [{"kind": "common_region", "method": method, "region": region, "classes": list(tops),
             "mean_share": round(float(np.mean([s[region] for s in shares.values()])), 4)}]


FLAG_RULES = (flag_outside_face, flag_unique_regions, flag_common_region)


def _shares_of(value) -> dict:
    return dict(getattr(value, "shares", value))


def _top(shares: dict) -> str | None:
    """The region with the largest positive share (ties: first in REGIONS order)."""
    return max((r for r in REGIONS if shares.get(r, 0.0) > 0), key=lambda r: shares[r], default=None)
