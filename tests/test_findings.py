"""Findings: confusion notes (best, worst, outliers, pairs) and flags on attribution regions."""

from __future__ import annotations

import json

import numpy as np
import pytest

from generator.analysis.confusion import describe_confusion
from generator.analysis.findings import OUTLIER_MIN_GAP, describe_confusion_notes, describe_flags
from generator.analysis.regions import describe_attribution_mean
from generator.vocabulary import FER2013_CLASSES, REGIONS

RECALL = {"Angry": 0.5, "Disgust": 0.2, "Fear": 0.45, "Happy": 0.9, "Sad": 0.5, "Surprise": 0.8, "Neutral": 0.55}
PAIRS = [{"true": "Fear", "predicted": "Sad", "count": 9, "share": 0.3},
         {"true": "Disgust", "predicted": "Angry", "count": 7, "share": 0.7},
         {"true": "Sad", "predicted": "Fear", "count": 6, "share": 0.2},
         {"true": "Angry", "predicted": "Sad", "count": 2, "share": 0.1}]


def test_confusion_notes_name_the_worst_class_and_the_outliers():
    notes = describe_confusion_notes(RECALL, PAIRS, FER2013_CLASSES)
    values = np.array(list(RECALL.values()))
    assert notes["mean"] == pytest.approx(values.mean(), abs=1e-4)        # 0.5571
    assert notes["std"] == pytest.approx(values.std(), abs=1e-4)          # 0.2144
    assert notes["best"] == {"class": "Happy", "accuracy": 0.9}
    assert notes["worst"] == {"class": "Disgust", "accuracy": 0.2}
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
    assert notes["best"]["class"] == "Happy" and notes["worst"]["class"] == "Sad"
    empty = describe_confusion_notes({c: None for c in FER2013_CLASSES}, [], FER2013_CLASSES)
    assert empty["best"] is None and empty["mean"] is None and empty["pairs"] == []


def test_confusion_notes_from_a_real_confusion():
    labels = np.repeat(np.arange(3), 10)
    predictions = labels.copy()
    predictions[10:17] = 0                                # class B: 3 of 10 right, 7 called A
    predictions[0] = 2
    facts = describe_confusion(labels, predictions, ("A", "B", "C"))
    notes = describe_confusion_notes(facts.per_class_accuracy, facts.confused_pairs, ("A", "B", "C"))
    assert notes["worst"] == {"class": "B", "accuracy": 0.3}
    assert notes["below"][0]["class"] == "B"
    assert notes["pairs"][0] == {"true": "B", "predicted": "A", "count": 7, "share": 0.7, "mutual": False}


def shares(**values) -> dict:
    return {region: values.get(region, 0.0) for region in REGIONS}


def test_flags_outside_the_face_and_unique_regions():
    by_class = {"Angry": shares(mouth=0.5, eyes=0.3, outside=0.2),
                "Happy": shares(mouth=0.7, cheeks=0.3),
                "Sad": shares(eyes=0.4, mouth=0.35, outside=0.25),
                "Fear": shares(outside=0.6, mouth=0.4)}
    flags = describe_flags(by_class, method="gradcam")
    assert {"kind": "outside_face", "class": "Fear", "method": "gradcam", "share": 0.6, "threshold": 0.5} in flags
    unique = [(f["class"], f["region"], f["share"]) for f in flags if f["kind"] == "unique_region"]
    assert unique == [("Sad", "eyes", 0.4), ("Fear", "outside", 0.6)]
    assert not any(f["kind"] == "common_region" for f in flags)
    assert len(flags) == 3
    assert json.loads(json.dumps(flags)) == flags
    stricter = describe_flags(by_class, method="gradcam", outside_threshold=0.7)
    assert not any(f["kind"] == "outside_face" for f in stricter)


def test_flag_common_region_from_region_shares_objects():
    regions = np.full((4, 4), REGIONS.index("outside"), np.uint8)
    regions[:2] = REGIONS.index("cheeks")
    regions[2:, :2] = REGIONS.index("mouth")
    cheeks = np.zeros((1, 4, 4))
    cheeks[0, 0, :3] = 1.0
    cheeks[0, 3, 0] = 1.0
    by_class = {"Happy": describe_attribution_mean(cheeks, regions),
                "Sad": describe_attribution_mean(cheeks * 2, regions)}
    flags = describe_flags(by_class, method="saliency")
    assert flags == [{"kind": "common_region", "method": "saliency", "region": "cheeks",
                      "classes": ["Happy", "Sad"], "mean_share": 0.75}]


def test_no_flags_without_attribution():
    assert describe_flags({"Happy": shares(), "Sad": shares()}) == []
    assert describe_flags({"Happy": shares(mouth=1.0)}) == []
