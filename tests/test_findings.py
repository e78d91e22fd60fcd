"""Findings: confusion notes (best, worst, outliers, pairs) and flags on attribution regions."""

from __future__ import annotations

import json

import numpy as np
import pytest

from generator.analysis.confusion import describe_confusion, tied_at
from generator.analysis.findings import OUTLIER_MIN_GAP, describe_confusion_notes, describe_flags
from generator.analysis.regions import describe_attribution_mean
from generator.vocabulary import FER2013_CLASSES, OUTSIDE, REGIONS

RECALL = {"Angry": 0.5, "Disgust": 0.2, "Fear": 0.45, "Happy": 0.9, "Sad": 0.5, "Surprise": 0.8, "Neutral": 0.55}
PAIRS = [{"true": "Fear", "predicted": "Sad", "count": 9, "rate": 0.3},
         {"true": "Disgust", "predicted": "Angry", "count": 7, "rate": 0.7},
         {"true": "Sad", "predicted": "Fear", "count": 6, "rate": 0.2},
         {"true": "Angry", "predicted": "Sad", "count": 2, "rate": 0.1}]


def test_confusion_notes_name_the_worst_class_and_the_outliers():
    notes = describe_confusion_notes(RECALL, PAIRS, FER2013_CLASSES)
    values = np.array(list(RECALL.values()))
    assert notes["mean"] == pytest.approx(values.mean(), abs=1e-4)        # 0.5571
    assert notes["std"] == pytest.approx(values.std(), abs=1e-4)          # 0.2144
    assert notes["spread"] == 0.7
    # More than one standard deviation (0.21) from the mean: Happy +0.34, Surprise +0.24, Disgust -0.36.
    assert [a["class"] for a in notes["above"]] == ["Happy", "Surprise"]
    assert notes["below"] == [{"class": "Disgust", "accuracy": 0.2, "gap": -0.3571}]
    assert notes["evaluated"] == 7 and notes["missing"] == []
    assert json.loads(json.dumps(notes)) == notes


def test_confusion_pairs_are_the_first_ones_and_know_when_they_go_both_ways():
    pairs = describe_confusion_notes(RECALL, PAIRS, FER2013_CLASSES)["pairs"]
    assert [(p["true"], p["predicted"], p["mutual"]) for p in pairs] == [
        ("Fear", "Sad", True), ("Disgust", "Angry", False), ("Sad", "Fear", True)]
    assert pairs[0]["count"] == 9 and "mutual" not in PAIRS[0]          # the input is not changed


def test_a_flat_profile_has_no_outliers_and_missing_classes_are_named():
    flat = {"Angry": 0.60, "Disgust": None, "Fear": 0.62, "Happy": 0.66, "Sad": 0.58,
            "Surprise": 0.64, "Neutral": 0.61}
    notes = describe_confusion_notes(flat, [], FER2013_CLASSES)
    assert notes["above"] == [] and notes["below"] == []                  # spread 0.08 < OUTLIER_MIN_GAP
    assert notes["spread"] < OUTLIER_MIN_GAP
    assert notes["missing"] == ["Disgust"] and notes["evaluated"] == 6
    empty = describe_confusion_notes({c: None for c in FER2013_CLASSES}, [], FER2013_CLASSES)
    assert empty["mean"] is None and empty["pairs"] == []


def test_confusion_notes_from_a_real_confusion():
    labels = np.repeat(np.arange(3), 10)
    predictions = labels.copy()
    predictions[10:17] = 0                                # class B: 3 of 10 right, 7 called A
    predictions[0] = 2
    facts = describe_confusion(labels, predictions, ("A", "B", "C"))
    notes = describe_confusion_notes(facts.per_class_accuracy, facts.confused_pairs, ("A", "B", "C"))
    assert facts.worst_classes == ["B"] and facts.best_classes == ["C"]
    assert facts.chance == pytest.approx(1 / 3, abs=1e-4) and facts.majority_accuracy == pytest.approx(1 / 3, abs=1e-4)
    assert notes["below"][0]["class"] == "B"
    assert notes["pairs"][0] == {"true": "B", "predicted": "A", "count": 7, "rate": 0.7, "mutual": False}


def test_ties_at_the_printed_precision_are_ties():
    labels = np.repeat(np.arange(4), 10)
    predictions = labels.copy()
    predictions[30:33] = 0                                # D: 7 of 10; A, B, C: all right
    facts = describe_confusion(labels, predictions, ("A", "B", "C", "D"))
    assert facts.best_classes == ["A", "B", "C"] and facts.worst_classes == ["D"]
    assert facts.majority_class == "A"                    # equal supports: the first
    assert tied_at({"x": 0.33331, "y": 0.33329, "z": 0.2}, max) == ["x", "y"]   # equal at 0.1 percentage points


def regions_of(**tops) -> dict:
    """Region facts per class whose top region (and its numbers) are given: class=(region, share, area);
    each over 6 maps of its 8 test images."""
    by_class = {}
    for cls, (top, share, area) in tops.items():
        facts = describe_attribution_mean(np.zeros((1, 2, 2)), np.zeros((2, 2), np.uint8), REGIONS).as_dict()
        facts.update(top=top, images=6, shares={**facts["shares"], **({top: share} if top else {})},
                     area={**facts["area"], **({top: area} if top else {})},
                     lift={**facts["lift"], **({top: round(share / area, 4)} if top else {})})
        by_class[cls] = facts
    return {"basis": "class", "images": {cls: 8 for cls in tops}, "by_class": by_class}


def test_flags_name_a_concentrated_background_and_unique_regions():
    regions = regions_of(Angry=("mouth", 0.3, 0.05), Happy=("mouth", 0.4, 0.05), Sad=("eyes", 0.3, 0.08),
                         Fear=("outside", 0.7, 0.55), Neutral=(None, 0, 0))
    flags = describe_flags(regions, "gradcam", "outside")
    outside = [f for f in flags if f["kind"] == "outside_face"]
    assert outside == [{"method": "gradcam", "basis": "class", "kind": "outside_face", "class": "Fear",
                        "region": "outside", "share": 0.7, "area": 0.55, "lift": 1.2727, "denser": {},
                        "images": 6, "class_images": 8}]
    unique = [(f["class"], f["region"]) for f in flags if f["kind"] == "unique_region"]
    assert unique == [("Sad", "eyes"), ("Fear", "outside")]
    assert not any(f["kind"] == "common_region" for f in flags)
    assert json.loads(json.dumps(flags)) == flags
    assert not any(f["kind"] == "outside_face" for f in describe_flags(regions, "gradcam", None))


def test_a_flag_names_the_denser_regions_that_hold_too_little_mass():
    """Sad's eyes are its top region; its nose is denser for its area but holds under the rule's share."""
    regions = regions_of(Happy=("mouth", 0.4, 0.05), Sad=("eyes", 0.3, 0.08))
    regions["by_class"]["Sad"]["denser"] = {"nose": 5.0, "chin": 4.0}
    flag = next(f for f in describe_flags(regions, "gradcam", "outside") if f["class"] == "Sad")
    assert flag["region"] == "eyes" and list(flag["denser"].items()) == [("nose", 5.0), ("chin", 4.0)]


def test_region_facts_list_the_denser_regions_under_the_mass_floor():
    """The mouth is the densest region but holds 5% of the mass; the eyes, 40% on 20%, are named."""
    from generator.analysis.regions import MIN_SHARE, _from_vectors

    names = ("eyes", "mouth", "nose", "outside")
    share, area = np.array([0.40, 0.05, 0.06, 0.49]), np.array([0.20, 0.01, 0.03, 0.76])
    facts = _from_vectors(share, area, 3, names)
    assert facts.top == "eyes" and share[1] < MIN_SHARE
    assert list(facts.denser.items()) == [("mouth", 5.0)]       # the nose (2.0x) ties the eyes, not above
    assert _from_vectors(np.array([0.4, 0.3, 0.2, 0.1]), np.full(4, 0.25), 3, names).denser == {}


def test_a_top_region_tied_with_another_is_not_unique():
    """Sad's eyes tie with its eyebrows, Angry's top region: neither class's top region stands alone."""
    regions = regions_of(Angry=("eyebrows", 0.3, 0.08), Happy=("mouth", 0.4, 0.05), Sad=("eyes", 0.3, 0.08))
    regions["by_class"]["Sad"]["tied"] = ["eyebrows"]
    unique = [(f["class"], f["region"]) for f in describe_flags(regions, "gradcam", "outside")
              if f["kind"] == "unique_region"]
    assert unique == [("Happy", "mouth")]


def test_a_large_background_share_under_its_area_is_not_flagged():
    """Half the mass on a background that covers 56% of the image is less than a flat map gives."""
    layout = np.full(100, REGIONS.index("mouth"), np.uint8)
    layout[:56] = OUTSIDE
    layout = layout.reshape(10, 10)
    half = np.where(layout == OUTSIDE, 0.5 / 56, 0.5 / 44)
    facts = describe_attribution_mean(half[None], layout, REGIONS).as_dict()
    regions = {"basis": "sample", "images": {"Surprise": 1}, "by_class": {"Surprise": facts}}
    assert facts["shares"]["outside"] == pytest.approx(0.5, abs=1e-3)
    assert not [f for f in describe_flags(regions, "gradcam", "outside") if f["kind"] == "outside_face"]


def test_flag_common_region():
    regions = regions_of(Happy=("cheeks", 0.5, 0.1), Sad=("cheeks", 0.3, 0.1))
    flags = describe_flags(regions, "saliency", "outside")
    assert flags == [{"method": "saliency", "basis": "class", "kind": "common_region", "region": "cheeks",
                      "classes": ["Happy", "Sad"], "mean_share": 0.4, "mean_lift": 4.0}]


def test_no_flags_without_a_named_region():
    assert describe_flags(regions_of(Happy=(None, 0, 0), Sad=(None, 0, 0)), "saliency", "outside") == []
