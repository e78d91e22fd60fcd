"""Findings: notes on per-class accuracy and flags on where each class's attribution lies.

Each flag rule is a small function (shares by class, method) -> list of flags; a flag is a
dict with a machine-readable "kind" and its numbers. Add a rule to FLAG_RULES to extend.
"""

from __future__ import annotations

import numpy as np

# A class's recall is "far from the mean" when it differs from the mean recall by more than
# one (population) standard deviation AND by at least this much (so a flat profile has none).
OUTLIER_MIN_GAP = 0.10


def describe_confusion_notes(per_class_accuracy: dict, confused_pairs: list, class_names,
                             top: int = 3) -> dict:
    """Best and worst classes, classes far from the mean recall, the most confused pairs.

    `per_class_accuracy` {class: recall or None (absent)}, `confused_pairs` [{"true",
    "predicted", "count", "rate"}] largest first (analysis.confusion). Returns {"evaluated":
    number of classes with a recall, "missing": [classes without], "mean", "std", "spread"
    (best - worst), "above" / "below": [{"class", "accuracy", "gap": recall - mean}] largest
    |gap| first, "pairs": the first `top` pairs, each with "mutual": whether the reverse pair
    is also among them}.
    """
    present = [c for c in class_names if per_class_accuracy.get(c) is not None]
    recall = np.array([per_class_accuracy[c] for c in present], dtype=np.float64)
    notes = {"evaluated": len(present), "missing": [c for c in class_names if c not in present]}
    if not present:
        return {**notes, "mean": None, "std": None, "spread": None, "above": [], "below": [],
                "pairs": _pairs(confused_pairs, top)}
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

def describe_flags(regions: dict, method: str, background: str | None) -> list[dict]:
    """Every flag of every rule for one method's region facts ({"basis", "images", "by_class":
    {class: RegionFacts.as_dict()}}, see sections.regions). Flags come from each class's named
    top region, so a region is flagged only where it is over-represented for its area:

    {"kind": "outside_face", ...}: a class's maps concentrate on `background` (no such flag
    when the regions have no background); {"kind": "unique_region", ...}: no other class has
    this top region; {"kind": "common_region", "region", "classes", ...}: every class (two or
    more) has the same top region. Each carries the method, the basis ("class": over the
    class's test images; "sample": one image) and the numbers behind it; a class's flag, the
    maps behind it (`images`: those with positive attribution) and the class's `class_images`.
    """
    by_class, basis = regions["by_class"], regions["basis"]
    flags = []
    for rule in FLAG_RULES:
        flags += [{"method": method, "basis": basis, **flag} for flag in rule(by_class, background)]
    for flag in flags:
        if "class" in flag:
            flag["images"] = by_class[flag["class"]]["images"]
            flag["class_images"] = regions["images"][flag["class"]]
    return flags


def flag_outside_face(by_class: dict, background: str | None) -> list[dict]:
    """Classes whose maps concentrate outside the face (the background is their top region)."""
    if background is None:
        return []
    return [{"kind": "outside_face", "class": c, **_numbers(f, background)}
            for c, f in by_class.items() if f["top"] == background]


def flag_unique_regions(by_class: dict, background: str | None) -> list[dict]:
    """Classes whose top region stands alone (tied with no other region) and is not a top region,
    or tied with one, of any other class."""
    leading = {c: {f["top"], *f["tied"]} for c, f in by_class.items() if f["top"] is not None}
    if len(leading) < 2:
        return []
    alone = [c for c, regions in leading.items()
             if len(regions) == 1 and not any(regions & other for d, other in leading.items() if d != c)]
    return [{"kind": "unique_region", "class": c, "region": (top := by_class[c]["top"]), **_numbers(by_class[c], top)}
            for c in alone]


def flag_common_region(by_class: dict, background: str | None) -> list[dict]:
    """Every class (at least two) has the same top region."""
    tops = {f["top"] for f in by_class.values()}
    if len(by_class) < 2 or len(tops) != 1 or None in tops:
        return []
    region = tops.pop()
    return [{"kind": "common_region", "region": region, "classes": list(by_class),
             "mean_share": round(float(np.mean([f["shares"][region] for f in by_class.values()])), 4),
             "mean_lift": round(float(np.mean([f["lift"][region] for f in by_class.values()])), 4)}]


FLAG_RULES = (flag_outside_face, flag_unique_regions, flag_common_region)


def _numbers(facts: dict, region: str) -> dict:
    """The region's share, area and lift, and the regions denser for their area that hold too little
    of the mass to be named (the class facts' `denser`)."""
    return {"region": region, "share": facts["shares"][region], "area": facts["area"][region],
            "lift": facts["lift"][region], "denser": facts["denser"]}
