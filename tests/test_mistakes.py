"""The Mistakes page: the right pairs and counts, region contrasts from the maps, verdicts against the
designed pairs, the "why classes win" measure, and a page that follows the model."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest

from generator.analysis.confusion import confused_pairs
from generator.analysis.mistakes import (
    MIN_GAIN,
    class_distinctness,
    contrast_evidence,
    designed_cue_verdict,
    drawn_facts,
    explain_winners,
    mistaken_images,
)
from generator.analysis.regions import describe_attribution_mean
from generator.data import DrawnTruth
from generator.vocabulary import REGIONS
from tests.conftest import build_tiny, read_facts
from tests.test_commentary import page, prose

NAMES = ("A", "B", "C")


def test_pairs_are_the_largest_off_diagonal_counts_with_their_rates():
    matrix = [[5, 3, 1],
              [4, 2, 4],
              [0, 1, 9]]
    pairs = confused_pairs(matrix, NAMES, 3)
    assert [(p["true"], p["predicted"], p["count"]) for p in pairs] == [("B", "A", 4), ("B", "C", 4), ("A", "B", 3)]
    assert pairs[0]["rate"] == 0.4 and pairs[2]["rate"] == round(3 / 9, 4)
    assert confused_pairs(np.eye(3, dtype=int) * 5, NAMES, 3) == []


def test_mistaken_images_come_most_confident_first():
    labels = np.array([0, 0, 0, 1, 0, 0])
    predictions = np.array([1, 0, 1, 1, 1, 2])
    probabilities = np.zeros((6, 3))
    probabilities[[0, 2, 4], 1] = [0.6, 0.9, 0.6]
    assert mistaken_images(labels, predictions, probabilities, 0, 1).tolist() == [2, 0, 4]   # ties: index order
    assert mistaken_images(labels, predictions, probabilities, 1, 0).tolist() == []


def _regions_and_maps():
    """Eight 8x8 images, top half "brows", bottom half "mouth"; wrong-class maps on the mouth,
    right-class maps on the brows."""
    regions = np.full((8, 8, 8), REGIONS.index("brows"), np.uint8)
    regions[:, 4:] = REGIONS.index("mouth")
    wrong, right = np.zeros((8, 8, 8)), np.zeros((8, 8, 8))
    wrong[:, 5:7, 2:6] = 1.0
    right[:, 1:3, 2:6] = 1.0
    return regions, wrong, right


def test_the_contrast_names_each_class_s_region_and_the_one_that_gains():
    regions, wrong, right = _regions_and_maps()
    contrast = contrast_evidence(wrong, right, regions, REGIONS)
    assert contrast.wrong.top == "mouth" and contrast.right.top == "brows"
    assert contrast.gain["mouth"] == 1.0 and contrast.gain["brows"] == -1.0
    assert contrast.most_gained == "mouth"
    same = contrast_evidence(right, right + 0.01 * wrong, regions, REGIONS)
    assert max(same.gain.values()) < MIN_GAIN and same.most_gained is None


def test_the_verdict_places_the_wrong_class_s_evidence_against_the_designed_regions():
    regions, wrong, right = _regions_and_maps()
    on_mouth = describe_attribution_mean(wrong, regions, REGIONS)
    assert designed_cue_verdict(on_mouth, shared=["mouth"], distinct=["brows"]) == "shared"
    assert designed_cue_verdict(on_mouth, shared=["eyes"], distinct=["mouth"]) == "distinct"
    assert designed_cue_verdict(on_mouth, shared=["eyes"], distinct=["nose"]) == "elsewhere"
    flat = describe_attribution_mean(np.ones((8, 8, 8)), regions, REGIONS)
    assert flat.top is None and designed_cue_verdict(flat, ["mouth"], ["brows"]) == "none"


def test_drawn_facts_count_label_noise_drift_and_weak_expressions():
    labels = np.array([0, 0, 0, 0, 1, 0])
    truth = DrawnTruth(drawn=np.array([0, 1, 0, 0, 1, 0]), intensity=np.array([0.4, 0.9, 0.5, 1.0, 0.8, 0.9]),
                       drift_class=np.array([1, -1, -1, -1, -1, -1]), drift=np.array([0.5, 0, 0, 0, 0, 0]))
    facts = drawn_facts(truth, labels, np.array([0, 1, 2]), true=0, predicted=1)
    assert facts == {"images": 3, "relabelled": 1, "drawn_as_predicted": 1, "drifted_to_predicted": 1,
                     "intensity": 0.6, "class_intensity": 0.7}   # images 0, 2, 3, 5 are labelled and drawn as 0


def test_a_class_with_its_own_evidence_is_the_most_distinct():
    maps = np.zeros((12, 6, 6))
    maps[:8, 1, 1] = 1.0        # classes 0 and 1 look at the same spot
    maps[8:, 4, 4] = 1.0        # class 2 elsewhere
    maps += np.random.default_rng(0).uniform(0, 0.05, maps.shape)
    distinct = class_distinctness(maps, np.repeat([0, 1, 2], 4), NAMES)
    assert distinct["C"] > 0.9 and distinct["C"] > distinct["A"] and distinct["C"] > distinct["B"]


def test_the_hypothesis_holds_fails_or_stays_open_as_the_ranks_say():
    classes = [f"c{i}" for i in range(7)]
    rising = {c: i / 10 for i, c in enumerate(classes)}
    holds = explain_winners(rising, {c: 0.5 + i / 20 for i, c in enumerate(classes)})
    assert holds["verdict"] == "holds" and holds["correlation"] == 1.0
    assert holds["p_higher"] == round(1 / 5040, 4)       # every one of the 7! orders counted once
    assert holds["best"] == [{"class": "c6", "distinctness_rank": 1}, {"class": "c5", "distinctness_rank": 2}]
    opposite = explain_winners(rising, {c: 0.9 - i / 20 for i, c in enumerate(classes)})
    assert opposite["verdict"] == "opposite" and opposite["correlation"] == -1.0
    shuffled = explain_winners(rising, dict(zip(classes, [0.5, 0.9, 0.2, 0.6, 0.4, 0.8, 0.3])))
    assert shuffled["verdict"] == "unclear" and shuffled["p_higher"] >= 0.05
    assert explain_winners({"a": 0.1, "b": 0.2, "c": 0.3}, {"a": 0.5, "b": 0.6, "c": 0.7})["verdict"] == "unclear"


# --- the pages ---------------------------------------------------------------------------------

def test_the_pairs_match_the_confusion_matrix_and_the_top_one_is_designed(tiny_project):
    facts = read_facts(tiny_project)
    names, matrix = facts["class_names"], facts["confusion_matrix"]
    pairs = facts["confusions"]["pairs"]
    assert len(pairs) == 3
    for pair in pairs:
        t, p = names.index(pair["true"]), names.index(pair["predicted"])
        assert pair["count"] == matrix[t][p]
        assert pair["rate"] == round(matrix[t][p] / sum(matrix[t]), 4)
        assert pair["images"] == min(pair["count"], facts["confusions"]["measured_cap"])
        assert len(pair["rows"]) == min(pair["count"], 3)
        assert pair["confidence"] == sorted(pair["confidence"], reverse=True)
    off = sorted((matrix[t][p] for t in range(7) for p in range(7) if t != p), reverse=True)
    assert [pair["count"] for pair in pairs] == off[:3]
    top = pairs[0]
    assert top["designed"] is not None and set(top["designed"]["classes"]) == {top["true"], top["predicted"]}


def test_each_verdict_follows_its_region_facts(tiny_project):
    for pair in read_facts(tiny_project)["confusions"]["pairs"]:
        if pair["designed"] is None:
            continue
        for method, verdict in pair["designed"]["verdicts"].items():
            wrong = pair["methods"][method]["wrong"]
            named = [wrong["top"], *wrong["tied"]] if wrong["top"] else []
            assert (verdict == "shared") == any(r in pair["designed"]["shared"] for r in named), (method, verdict)


@pytest.mark.parametrize("lang, heading", [("en", "## {} → {}"), ("zh-TW", "## {} → {}")])
def test_the_page_shows_each_pair_with_its_figure_in_both_languages(tiny_project, lang, heading):
    facts = read_facts(tiny_project)
    text = page(tiny_project, "mistakes", lang)
    for pair in facts["confusions"]["pairs"]:
        figure = pair["figures"]["maps"]
        assert f"]({figure})" in text
        assert (tiny_project / "docs" / figure).is_file()
        assert (tiny_project / "site" / figure).is_file()   # the language folders share the figures
    top = facts["confusions"]["pairs"][0]
    if lang == "en":
        assert heading.format(top["true"], top["predicted"]) in text
    words = {"en": "designed pair", "zh-TW": "刻意設計的一組"}[lang]
    assert words in prose(text)


def test_the_lime_page_answers_why_some_classes_win(tiny_project):
    facts = read_facts(tiny_project)
    winners = facts["confusions"]["winners"]
    text = page(tiny_project, "lime", "en")
    assert f"is {winners['correlation']:.2f};" in text
    sentence = {"holds": "the explanation holds", "opposite": "the explanation fails",
                "unclear": "neither supports nor refutes the explanation"}[winners["verdict"]]
    assert sentence in text
    frequency = winners["frequency"]
    shares = facts["confusions"]["winners"]["training_shares"]
    assert abs(sum(shares.values()) - 1) < 1e-3
    assert f"its accuracy is {frequency['correlation']:.2f};" in text
    zh = page(tiny_project, "lime", "zh-TW")
    assert f"為 {winners['correlation']:.2f}；" in zh and f"等級相關為 {frequency['correlation']:.2f}；" in zh


@pytest.fixture(scope="module")
def drift_project(tmp_path_factory, shared_cache):
    """The tiny report with most Fear and Surprise faces drawn partway toward each other."""
    return build_tiny(tmp_path_factory.mktemp("drift"), shared_cache,
                      "data.synthetic.drifts={Fear: [Surprise], Surprise: [Fear]}", "data.synthetic.ambiguity=0.8",
                      "trust.enabled=false",   # and the sections the page does not read kept small:
                      "methods.filters.steps=10", "methods.saliency.smooth_samples=4",
                      "methods.cams.class_mean_images=5")


@pytest.mark.slow
def test_the_page_follows_the_model(tiny_project, drift_project):
    """A model trained on faces where another designed pair is drawn more alike confuses that pair
    most, and the page explains that pair instead."""
    top = json.loads((drift_project / "docs" / "facts.json").read_text())["confusions"]["pairs"][0]
    assert {top["true"], top["predicted"]} == {"Fear", "Surprise"} == set(top["designed"]["classes"])
    assert top["drawn"]["drifted_to_predicted"] > top["count"] / 2
    default = read_facts(tiny_project)["confusions"]["pairs"][0]
    assert {default["true"], default["predicted"]} != {"Fear", "Surprise"}
    headings = lambda project: re.findall(r"^## .*$", page(project, "mistakes", "en"), re.M)  # noqa: E731
    assert headings(drift_project)[0] == f"## {top['true']} → {top['predicted']}" != headings(tiny_project)[0]
