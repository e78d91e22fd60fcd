"""Filter facts: stripe orientation and period from the power spectrum, groups, feature responses."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pytest

from generator.analysis.filter_facts import (
    describe_feature_response,
    describe_filter_groups,
    describe_filter_pattern,
    frequency_band,
    orientation_class,
)
from generator.analysis.regions import template_region_map
from generator.vocabulary import REGIONS

ROW, COL = np.mgrid[0:48, 0:48].astype(np.float64)


def stripes(along: np.ndarray, period: float, phase: float = 0.7) -> np.ndarray:
    """Stripes whose intensity varies with `along` (pixels across the stripes) with `period`."""
    return 0.5 + 0.4 * np.cos(2 * np.pi * along / period + phase)


HORIZONTAL = stripes(ROW, 6)                          # intensity changes down the rows
VERTICAL = stripes(COL, 10)
# Constant along COL + ROW = c: lines from the lower left to the upper right of the picture.
DIAGONAL_UP = stripes((COL + ROW) / np.sqrt(2), 7)
DIAGONAL_DOWN = stripes((COL - ROW) / np.sqrt(2), 5)


@pytest.mark.parametrize("pattern, expected, degrees, period", [
    (HORIZONTAL, "horizontal", 0.0, 6),
    (VERTICAL, "vertical", 90.0, 10),
    (DIAGONAL_UP, "diagonal-up", 45.0, 7),
    (DIAGONAL_DOWN, "diagonal-down", 135.0, 5),
])
def test_stripes_are_classified_and_their_period_recovered(pattern, expected, degrees, period):
    facts = describe_filter_pattern(pattern[..., None])
    assert facts["orientation_class"] == expected and facts["oriented"]
    assert facts["orientation"] == pytest.approx(degrees, abs=1.0)
    assert facts["orientedness"] > 0.9
    assert facts["period"] == pytest.approx(period, rel=0.1)
    assert facts["frequency"] == pytest.approx(1 / period, rel=0.1)


@pytest.mark.parametrize("period", [2.5, 3, 4.5, 8, 13, 16])
def test_period_is_recovered_within_ten_percent(period):
    assert describe_filter_pattern(stripes(COL * 0.8 + ROW * 0.6, period))["period"] == pytest.approx(period, rel=0.1)


def test_slightly_tilted_stripes_keep_their_class():
    tilted = stripes(COL * np.cos(np.radians(20)) - ROW * np.sin(np.radians(20)), 6)  # 20 degrees off vertical
    facts = describe_filter_pattern(tilted)
    assert facts["orientation_class"] == "vertical"
    assert facts["orientation"] == pytest.approx(110.0, abs=2.0)


def test_noise_is_unoriented():
    rng = np.random.default_rng(0)
    for _ in range(20):
        facts = describe_filter_pattern(rng.random((48, 48)))
        assert facts["orientation_class"] == "unoriented" and not facts["oriented"]
        assert 0.25 < facts["orientedness"] < 0.45
        assert facts["band"] == "fine"            # white noise: energy up to the Nyquist frequency


def test_flat_and_saturated_patterns_have_no_orientation_and_no_warning():
    saturated = np.ones((48, 48))
    saturated[0, 47] = 0.0                               # one stray pixel in a white pattern
    flat = {"orientation": None, "orientedness": 0.0, "oriented": False,
            "orientation_class": "flat", "frequency": None, "period": None, "band": None}
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert describe_filter_pattern(np.full((48, 48), 0.3)) == flat
        assert describe_filter_pattern(saturated) == flat
    # the same faint stripes are flat in a [0, 255] input range and readable in [0, 1]
    faint = 0.5 + 0.02 * np.cos(2 * np.pi * ROW / 6)
    assert describe_filter_pattern(faint, value_range=255.0) == flat
    assert describe_filter_pattern(faint)["orientation_class"] == "horizontal"


def test_class_and_band_edges():
    assert [orientation_class(d) for d in (0, 22, 23, 67, 68, 112, 113, 157, 158, 179.9)] == [
        "horizontal", "horizontal", "diagonal-up", "diagonal-up", "vertical", "vertical",
        "diagonal-down", "diagonal-down", "horizontal", "horizontal"]
    assert [frequency_band(p) for p in (2, 3.99, 4, 7.99, 8, 30)] == [
        "fine", "fine", "medium", "medium", "coarse", "coarse"]


def test_groups_count_classes_and_bands():
    noise = np.random.default_rng(1).random((48, 48))
    patterns = np.stack([HORIZONTAL, stripes(ROW, 3), VERTICAL, DIAGONAL_UP, noise, stripes(ROW, 12),
                         np.zeros((48, 48)), VERTICAL])
    dead = np.zeros(8, bool)
    dead[7] = True
    groups = describe_filter_groups(patterns[..., None], dead=dead, columns=4)
    assert groups["filters"] == 8 and groups["described"] == 7 and groups["dead"] == [7]
    assert groups["by_orientation"] == {"horizontal": 3, "diagonal-up": 1, "vertical": 1,
                                        "diagonal-down": 0, "unoriented": 1, "flat": 1}
    assert groups["oriented"] == 5
    assert groups["by_band"] == {"fine": 2, "medium": 2, "coarse": 2}
    assert groups["members"]["horizontal"] == [0, 1, 5] and groups["members"]["unoriented"] == [4]
    assert groups["largest_oriented_group"] == "horizontal"
    assert groups["clearest"]["diagonal-down"] is None and groups["clearest"]["vertical"] == 2
    assert set(groups["clearest"]) == {"horizontal", "diagonal-up", "vertical", "diagonal-down"}
    fifth = groups["patterns"][4]
    assert (fifth["index"], fifth["row"], fifth["column"]) == (4, 2, 1)
    assert json.loads(json.dumps(groups)) == groups


def test_feature_response_ranks_filters_and_finds_their_region():
    template = template_region_map()
    small = template[2::4, 2::4]                        # the template seen by a 12 x 12 layer
    maps = np.zeros((4, 12, 12), np.float32)
    maps[0][small == REGIONS.index("mouth")] = 2.0
    maps[1][small == REGIONS.index("eyes")] = 1.0
    maps[2] -= 1.0                                      # silent after a ReLU-free layer
    maps[3, 0, 0] = 0.5                                 # weak, in the corner
    facts = describe_feature_response(maps, template, top=3, columns=2)
    assert facts["filters"] == 4 and facts["silent"] == 1
    assert [t["index"] for t in facts["top"]] == [0, 1, 3]
    first, second, third = facts["top"]
    assert first["region"] == "mouth" and first["share"] > 0.7 and (first["row"], first["column"]) == (1, 1)
    assert first["mean"] == pytest.approx(2.0 * np.mean(small == REGIONS.index("mouth")), abs=1e-4)
    assert first["peak"] == 2.0
    assert second["region"] == "eyes" and second["share"] > 0.6
    assert third["region"] == "outside"
    assert facts["by_region"]["mouth"] == 1 and facts["by_region"]["eyes"] == 1
    assert sum(facts["by_region"].values()) == 3
    assert json.loads(json.dumps(facts)) == facts


def test_feature_response_keeps_a_constant_map_constant():
    facts = describe_feature_response(np.ones((1, 6, 6)), template_region_map(), top=1)
    area = np.mean(template_region_map() == REGIONS.index("outside"))
    assert facts["top"][0]["region"] == "outside"          # the largest region by area
    assert facts["top"][0]["share"] == pytest.approx(area, abs=1e-4)
