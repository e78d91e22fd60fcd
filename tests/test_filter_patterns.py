"""What filter patterns are (stripes, lattices, curves, unstructured), measured on patterns of known kind,
and where feature maps respond."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pytest
from scipy import ndimage

from generator.analysis.feature_response import describe_feature_response, describe_orientation_match
from generator.analysis.filter_patterns import (
    describe_filter_groups,
    describe_filter_pattern,
    frequency_band,
    orientation_class,
)
from generator.analysis.regions import template_region_map
from generator.vocabulary import REGIONS

ROW, COL = np.mgrid[0:48, 0:48].astype(np.float64)


def stripes(degrees: float, period: float, phase: float = 0.7) -> np.ndarray:
    """Stripes at `degrees` anticlockwise from horizontal as the image is seen (rows run down)."""
    t = np.radians(degrees)
    across = ROW * np.cos(t) + COL * np.sin(t)        # constant along the stripes
    return 0.5 + 0.4 * np.cos(2 * np.pi * across / period + phase)


def checkerboard(period: float = 8, degrees: float = 0) -> np.ndarray:
    t = np.radians(degrees)
    x, y = COL * np.cos(t) + ROW * np.sin(t), -COL * np.sin(t) + ROW * np.cos(t)
    return ((np.floor(x / (period / 2)) + np.floor(y / (period / 2))) % 2).astype(float)


def dots(period: float = 7, radius: float = 1.6, hexagonal: bool = False) -> np.ndarray:
    def grid(dy, dx):
        y, x = (ROW + dy) % period - period / 2, (COL + dx) % period - period / 2
        return np.exp(-(x ** 2 + y ** 2) / (2 * radius ** 2))
    square = grid(1.3, 2.1)
    return np.maximum(square, grid(1.3 + period / 2, 2.1 + period / 2)) if hexagonal else square


def rings(period: float = 6, centre=(20, 27)) -> np.ndarray:
    return 0.5 + 0.4 * np.cos(2 * np.pi * np.hypot(ROW - centre[0], COL - centre[1]) / period)


def noise(seed: int, sigma: float = 0.0) -> np.ndarray:
    values = np.random.default_rng(seed).random((48, 48))
    return ndimage.gaussian_filter(values, sigma) if sigma else values


@pytest.mark.parametrize("pattern, expected, degrees, period", [
    (stripes(0, 6), "horizontal", 0.0, 6),
    (stripes(90, 10), "vertical", 90.0, 10),
    (stripes(45, 7), "diagonal-up", 45.0, 7),
    (stripes(135, 5), "diagonal-down", 135.0, 5),
])
def test_stripes_are_found_with_their_orientation_and_period(pattern, expected, degrees, period):
    facts = describe_filter_pattern(pattern[..., None])
    assert facts["kind"] == "stripes" and facts["orientation_class"] == expected
    assert facts["orientation"] == pytest.approx(degrees, abs=1.0)
    assert facts["coherence"] > 0.95 and facts["consistency"] > 0.95
    assert facts["period"] == pytest.approx(period, rel=0.1)


@pytest.mark.parametrize("period", [2.5, 3, 4.5, 8, 13, 16])
def test_period_is_recovered_within_ten_percent(period):
    assert describe_filter_pattern(stripes(37, period))["period"] == pytest.approx(period, rel=0.1)


def test_stripes_twenty_degrees_off_keep_their_class():
    facts = describe_filter_pattern(stripes(110, 6))
    assert facts["kind"] == "stripes" and facts["orientation_class"] == "vertical"
    assert facts["orientation"] == pytest.approx(110.0, abs=2.0)


@pytest.mark.parametrize("pattern", [checkerboard(8), checkerboard(10, 45), dots(7), dots(5, 1.2),
                                     dots(8, 1.5, hexagonal=True)], ids=["checker", "checker-45", "dots",
                                                                         "small-dots", "hex-dots"])
def test_checkerboards_and_dot_lattices_are_lattices(pattern):
    facts = describe_filter_pattern(pattern)
    assert facts["kind"] == "lattice", facts
    assert facts["coherence"] < 0.2 and facts["periodicity"] > 0.9
    assert facts["orientation"] is None and facts["period"] is None


@pytest.mark.parametrize("pattern", [rings(6), rings(6, centre=(-10, 24))], ids=["rings", "arcs"])
def test_rings_and_arcs_are_curves(pattern):
    facts = describe_filter_pattern(pattern)
    assert facts["kind"] == "curves", facts
    assert facts["coherence"] > 0.9 and facts["consistency"] < 0.8


@pytest.mark.parametrize("sigma", [0.0, 1.0, 1.5])
def test_white_and_blurred_noise_are_unstructured(sigma):
    for seed in range(20):
        facts = describe_filter_pattern(noise(seed, sigma))
        assert facts["kind"] == "unstructured", (seed, facts)
        assert facts["coherence"] < 0.6 and facts["periodicity"] < 0.25


def test_flat_and_saturated_patterns_are_flat_without_a_warning():
    saturated = np.ones((48, 48))
    saturated[0, 47] = 0.0                               # one stray pixel in a white pattern
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert describe_filter_pattern(np.full((48, 48), 0.3))["kind"] == "flat"
        assert describe_filter_pattern(saturated)["kind"] == "flat"
    faint = 0.5 + 0.02 * np.cos(2 * np.pi * ROW / 6)     # flat in a [0, 255] input range, readable in [0, 1]
    assert describe_filter_pattern(faint, value_range=255.0)["kind"] == "flat"
    assert describe_filter_pattern(faint)["orientation_class"] == "horizontal"


def test_class_and_band_edges():
    assert [orientation_class(d) for d in (0, 22, 23, 67, 68, 112, 113, 157, 158, 179.9)] == [
        "horizontal", "horizontal", "diagonal-up", "diagonal-up", "vertical", "vertical",
        "diagonal-down", "diagonal-down", "horizontal", "horizontal"]
    assert [frequency_band(p) for p in (2, 3.99, 4, 7.99, 8, 30)] == [
        "fine", "fine", "medium", "medium", "coarse", "coarse"]


def test_groups_count_kinds_and_pick_the_most_typical_member():
    patterns = np.stack([stripes(15, 6), stripes(2, 5), stripes(90, 10), dots(7), noise(1), stripes(0, 12),
                         np.zeros((48, 48)), stripes(90, 8), rings()])
    dead = np.zeros(9, bool)
    dead[7] = True
    groups = describe_filter_groups(patterns[..., None], dead=dead, columns=4)
    assert groups["filters"] == 9 and groups["described"] == 8 and groups["dead"] == [7]
    assert groups["by_kind"] == {"stripes": 4, "lattice": 1, "curves": 1, "unstructured": 1, "flat": 1}
    assert groups["kinds"]["lattice"] == [3] and groups["typical"]["curves"] == 8
    stripe = groups["stripes"]
    assert stripe["by_orientation"] == {"horizontal": 3, "diagonal-up": 0, "vertical": 1, "diagonal-down": 0}
    assert stripe["members"]["horizontal"] == [0, 1, 5] and stripe["largest_group"] == "horizontal"
    # The typical near-horizontal stripe is the one nearest 0 degrees and the median period, not filter 0 (15 degrees).
    assert stripe["typical"]["horizontal"] == 1 and stripe["typical"]["diagonal-up"] is None
    fifth = groups["patterns"][4]
    assert (fifth["index"], fifth["row"], fifth["column"]) == (4, 2, 1)
    assert json.loads(json.dumps(groups)) == groups


def test_feature_response_ranks_filters_and_names_regions_by_lift():
    template = template_region_map()
    small = template[2::4, 2::4]                        # the template seen by a 12 x 12 layer
    maps = np.zeros((4, 12, 12), np.float32)
    maps[0][small == REGIONS.index("mouth")] = 2.0
    maps[1][small == REGIONS.index("eyes")] = 1.0
    maps[2] -= 1.0                                      # silent
    maps[3] = 0.05                                      # flat: responds, but nowhere in particular
    facts = describe_feature_response(maps, template, REGIONS, top=3, columns=2)
    assert facts["filters"] == 4 and facts["silent"] == 1 and facts["unplaced"] == 1
    assert [t["index"] for t in facts["top"]] == [0, 1, 3]
    first, second, third = facts["top"]
    assert first["region"] == "mouth" and first["lift"] > 5 and (first["row"], first["column"]) == (1, 1)
    assert first["peak"] == 2.0
    assert second["region"] == "eyes" and third["region"] is None
    assert facts["by_region"]["mouth"] == 1 and facts["by_region"]["eyes"] == 1
    assert sum(facts["by_region"].values()) == 2
    assert json.loads(json.dumps(facts)) == facts


def test_a_stripe_filter_firing_on_edges_of_its_orientation_is_found():
    image = np.zeros((48, 48))
    image[:, 24:] = 1.0                                  # one vertical edge down the middle
    image[30:34, :] = 0.5                                # and a horizontal bar
    on_vertical = np.zeros((12, 12))
    on_vertical[:, 5:7] = 1.0                            # fires along the vertical edge
    on_horizontal_bar = np.zeros((12, 12))
    on_horizontal_bar[7:9, :] = 1.0                      # fires along the bar
    patterns = [{"index": 0, "kind": "stripes", "orientation": 90.0},
                {"index": 1, "kind": "stripes", "orientation": 90.0},
                {"index": 2, "kind": "lattice", "orientation": None}]
    facts = describe_orientation_match(np.stack([on_vertical, on_horizontal_bar, on_vertical]), image, patterns)
    assert facts["checked"] == 2 and facts["holding"] == 1 and facts["example"] == 0
    first, second = facts["filters"]
    assert first["holds"] and first["at_peaks"] > first["baseline"] + 0.15
    assert not second["holds"]
    assert facts["chance_holding"] == round(first["chance"] + second["chance"], 1)


def test_the_chance_of_holding_is_that_of_peaks_on_random_edges():
    """Peaks drawn at random among the edge positions pass as often as the hypergeometric tail says."""
    from generator.analysis.feature_response import MATCH_GAIN, _chance_of_holding

    edges, matching, peaks = 60, 18, 9
    rng = np.random.default_rng(0)
    on_orientation = np.arange(edges) < matching
    draws = np.array([on_orientation[rng.choice(edges, peaks, replace=False)].mean() for _ in range(20000)])
    simulated = float(np.mean(draws >= matching / edges + MATCH_GAIN - 1e-9))
    assert _chance_of_holding(edges, matching, peaks) == pytest.approx(simulated, abs=0.01)
    assert 0.05 < simulated < 0.5
    assert _chance_of_holding(edges, matching, 0) == 0.0
