"""Face regions: the template, attribution shares per region, LIME regions, localisation."""

from __future__ import annotations

import csv
import json
import warnings
from pathlib import Path

import numpy as np
import pytest

from generator.analysis.regions import (
    DEFAULT_TEMPLATE,
    MIN_LIFT,
    MIN_SHARE,
    describe_attribution,
    describe_attribution_mean,
    describe_lime_regions,
    summarise_classes,
    template_region_map,
)
from generator.analysis.trust import compute_localisation
from generator.data.synthetic import make_synthetic_faces
from generator.figures.regions import REGION_COLOURS, TINT, plot_region_template
from generator.vocabulary import OUTSIDE, REGIONS

FER = Path(__file__).resolve().parents[2] / "shared/data/fer2013"
MOUTH, EYES, NOSE, CHEEKS = (REGIONS.index(r) for r in ("mouth", "eyes", "nose", "cheeks"))


def blob_on(region_map: np.ndarray, region: int, sigma: float = 1.5) -> np.ndarray:
    """A Gaussian blob centred on the centroid of `region`, with negative values elsewhere."""
    rows, cols = np.nonzero(region_map == region)
    r, c = np.mgrid[:region_map.shape[0], :region_map.shape[1]]
    blob = np.exp(-((r - rows.mean()) ** 2 + (c - cols.mean()) ** 2) / (2 * sigma ** 2))
    return blob - 0.2 * (r < 8)            # negative attribution on the top rows is ignored


@pytest.fixture(scope="module")
def faces():
    return make_synthetic_faces(1, seed=5)


def test_mouth_blob_is_top_on_exact_synthetic_regions(faces):
    maps = np.stack([blob_on(regions, MOUTH) for regions in faces.regions])
    facts = describe_attribution(maps, faces.regions, REGIONS)
    assert len(facts) == len(faces.images)
    for fact in facts:
        assert fact.top == "mouth" and fact.ranking[0] == "mouth" and len(fact.ranking) <= 3
        assert fact.shares["mouth"] > 0.5 and fact.lift["mouth"] > 5
        assert sum(fact.shares.values()) == pytest.approx(1.0, abs=1e-3)
        assert fact.images == 1


def test_mouth_blob_is_top_on_the_template_with_its_lift():
    template = template_region_map()
    fact, = describe_attribution(blob_on(template, MOUTH)[None], template, REGIONS)
    assert fact.top == "mouth" and fact.tied == [] and fact.reliance == "clear"
    assert fact.shares["mouth"] > 0.9
    assert fact.lift["mouth"] == pytest.approx(fact.shares["mouth"] / fact.area["mouth"], rel=1e-3)
    assert fact.shares["forehead"] == 0.0          # the negative band was ignored


def test_a_uniform_map_names_no_region():
    template = template_region_map()
    fact, = describe_attribution(np.ones((1, 48, 48)), template, REGIONS)
    assert fact.top is None and fact.ranking == [] and fact.lead is None and fact.reliance is None
    assert all(v == pytest.approx(1.0, abs=1e-3) for v in fact.lift.values())
    assert fact.images == 1                          # it has mass, just nowhere in particular


def test_the_background_is_named_only_when_over_represented():
    template = template_region_map()
    outside = template == OUTSIDE
    area = outside.mean()
    # A large share on the background, but less than its area predicts: not named.
    under = np.where(outside, 0.9, 1.0 + 0.1 * area / (1 - area))
    fact, = describe_attribution(under[None], template, REGIONS)
    assert fact.shares["outside"] == pytest.approx(0.9 * area, abs=1e-3) and fact.lift["outside"] < 1.0
    assert fact.top != "outside"
    # All of it on the background: named, with its lift.
    fact, = describe_attribution(outside[None].astype(float), template, REGIONS)
    assert fact.top == "outside" and fact.lift["outside"] == pytest.approx(1 / area, rel=1e-3)


def test_a_small_dense_region_beats_a_large_diffuse_one_but_not_on_a_few_pixels():
    template = template_region_map()
    area = {r: float(np.mean(template == i)) for i, r in enumerate(REGIONS)}
    attribution = np.where(template == CHEEKS, 0.6 / np.sum(template == CHEEKS), 0.0)
    attribution[template == NOSE] = 0.4 / np.sum(template == NOSE)
    fact, = describe_attribution(attribution[None], template, REGIONS)
    assert fact.shares["cheeks"] == pytest.approx(0.6) and fact.shares["nose"] == pytest.approx(0.4)
    assert fact.ranking == ["nose", "cheeks"] and fact.top == "nose"        # ranked by lift, not share
    assert fact.lift["nose"] == pytest.approx(0.4 / area["nose"], abs=1e-3)
    assert fact.lead == pytest.approx(fact.lift["nose"] / fact.lift["cheeks"], abs=1e-3)
    # A two-pixel region twice as bright as the rest: a lift near 2, but under MIN_SHARE of the mass.
    tiny = np.full((8, 8), OUTSIDE, np.uint8)
    tiny[0, :2] = MOUTH
    speck = np.where(tiny == MOUTH, 2.0, 1.0)
    fact, = describe_attribution(speck[None], tiny, REGIONS)
    assert fact.lift["mouth"] > MIN_LIFT and fact.shares["mouth"] < MIN_SHARE and fact.top is None


def test_close_lifts_are_a_tie():
    regions = np.full((4, 8), OUTSIDE, np.uint8)
    regions[0, :2], regions[3, :2] = MOUTH, EYES                  # two regions of 2 pixels each
    maps = np.zeros((1, 4, 8))
    maps[0, 0, :2], maps[0, 3, :2] = 1.0, 0.95                    # lifts 8.2 and 7.8: within 10%
    fact, = describe_attribution(maps, regions, REGIONS)
    assert fact.top == "mouth" and fact.tied == ["eyes"] and fact.reliance == "even"
    maps[0, 3, :2] = 0.5                                           # now clearly behind
    fact, = describe_attribution(maps, regions, REGIONS)
    assert fact.tied == [] and fact.reliance == "clear"


def test_all_zero_and_all_negative_maps_give_zeros_without_warnings(faces):
    maps = np.stack([np.zeros((48, 48)), -np.ones((48, 48))])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        facts = describe_attribution(maps, faces.regions[:2], REGIONS)
        mean = describe_attribution_mean(maps, faces.regions[:2], REGIONS)
    for fact in facts + [mean]:
        assert fact.top is None and fact.ranking == [] and fact.images == 0
        assert set(fact.shares.values()) == {0.0}
        assert all(v == 0.0 for v in fact.lift.values() if v is not None)


def test_absent_region_has_no_lift():
    regions = np.full((4, 4), NOSE, np.uint8)
    regions[:2] = MOUTH
    fact, = describe_attribution(np.ones((1, 4, 4, 1)), regions, REGIONS)
    assert fact.lift["eyes"] is None and fact.lift["mouth"] == 1.0
    assert fact.area == {**{r: 0.0 for r in REGIONS}, "mouth": 0.5, "nose": 0.5}


def test_mean_over_a_class_averages_shares_and_skips_empty_maps():
    regions = np.full((4, 4), OUTSIDE, np.uint8)
    regions[0], regions[3] = MOUTH, EYES
    maps = np.zeros((3, 4, 4))
    maps[0, 0] = 5.0                       # all mouth
    maps[1, 3, 0] = 0.3                    # three quarters on the eyes (scale does not matter)
    maps[1, 0, 0] = 0.1                    # one quarter on the mouth
    mean = describe_attribution_mean(maps, regions, REGIONS)
    assert mean.images == 2
    assert mean.shares["mouth"] == pytest.approx((1 + 0.25) / 2)
    assert mean.shares["eyes"] == pytest.approx(0.75 / 2)
    assert mean.lift["mouth"] == pytest.approx(0.625 / 0.25)
    assert mean.top == "mouth" and mean.as_dict()["ranking"] == ["mouth", "eyes"]
    assert json.loads(json.dumps(mean.as_dict())) == mean.as_dict()          # plain JSON values


def test_summary_over_classes_uses_mean_shares_and_areas():
    regions = np.full((4, 4), OUTSIDE, np.uint8)
    regions[0], regions[3] = MOUTH, EYES
    on = {name: np.where(regions == index, 1.0, 0.0)[None] for name, index in (("mouth", MOUTH), ("eyes", EYES))}
    by_class = {"A": describe_attribution_mean(on["mouth"], regions, REGIONS).as_dict(),
                "B": describe_attribution_mean(on["mouth"], regions, REGIONS).as_dict(),
                "C": describe_attribution_mean(on["eyes"], regions, REGIONS).as_dict()}
    summary = summarise_classes(by_class, REGIONS)
    assert summary["shares"]["mouth"] == pytest.approx(2 / 3, abs=1e-3) and summary["top"] == "mouth"
    assert summary["classes_by_top"] == {"eyes": 1, "mouth": 2}
    assert summary["lift"]["mouth"] == pytest.approx((2 / 3) / 0.25, abs=1e-3)


def test_shapes_must_match():
    with pytest.raises(ValueError, match="do not match"):
        describe_attribution(np.ones((2, 8, 8)), np.zeros((2, 4, 4), np.uint8), REGIONS)


def test_template_scales_and_covers_every_region():
    small, large = template_region_map(), template_region_map((96, 96))
    np.testing.assert_array_equal(large, np.kron(small, np.ones((2, 2), np.uint8)))
    assert set(np.unique(small)) == set(range(len(REGIONS)))
    assert small[0, 0] == small[0, -1] == small[-1, 0] == OUTSIDE
    assert small[38, 24] == MOUTH and small[17, 13] == EYES and small[17, 34] == EYES
    assert small[17, 24] == NOSE                  # the nose column cuts the eye band
    assert small[26, 12] == CHEEKS and small[26, 24] == NOSE


def test_config_boxes_replace_one_region_and_smaller_boxes_win():
    default = template_region_map()
    moved = template_region_map((48, 48), {"mouth": [0.25, 0.75, 0.75, 1.0]})    # rows 36-47, cols 12-35
    assert default[34, 24] == MOUTH and moved[34, 24] == CHEEKS
    assert moved[38, 24] == MOUTH                  # over the cheeks (larger)
    assert moved[45, 24] == default[45, 24] == REGIONS.index("chin")   # under the chin (smaller)
    assert np.array_equal(moved[:33], default[:33])
    everywhere = template_region_map(10, {"cheeks": [0, 0, 1, 1]})
    assert not np.any(everywhere == OUTSIDE)                          # the largest box lies below all
    assert set(DEFAULT_TEMPLATE) == set(REGIONS) - {"outside"}


def test_lime_regions_name_the_strongest_superpixels_by_weight():
    # A 4 x 4 image in four 2 x 2 superpixels (0 1 / 2 3); each holds the regions below.
    segments = np.array([[0, 0, 1, 1], [0, 0, 1, 1], [2, 2, 3, 3], [2, 2, 3, 3]])
    regions = np.array([[EYES, EYES, NOSE, NOSE],
                        [MOUTH, EYES, NOSE, MOUTH],
                        [MOUTH, MOUTH, CHEEKS, CHEEKS],
                        [MOUTH, MOUTH, CHEEKS, OUTSIDE]], np.uint8)
    weights = np.array([0.2, 0.5, -0.3, -0.01])       # the nose superpixel (1) weighs most
    facts = describe_lime_regions(segments, weights, regions, REGIONS, top=2)
    support, oppose = facts["supporting"], facts["opposing"]
    assert [s["id"] for s in support["segments"]] == [1, 0]
    assert support["strongest"] == "nose"              # by weight, not by the pixels the group covers
    assert support["segments"][1] == {"id": 0, "weight": 0.2, "pixels": 4, "region": "eyes", "region_share": 0.75}
    assert [s["id"] for s in oppose["segments"]] == [2, 3] and oppose["strongest"] == "mouth"
    assert oppose["segments"][1]["region"] == "cheeks" and oppose["segments"][1]["region_share"] == 0.75
    assert json.loads(json.dumps(facts)) == facts


def test_lime_regions_without_opposing_superpixels():
    segments = np.array([[0, 1], [0, 1]])
    facts = describe_lime_regions(segments, np.array([0.4, 0.0]), np.full((2, 2), NOSE, np.uint8), REGIONS)
    assert [s["id"] for s in facts["supporting"]["segments"]] == [0]
    assert facts["opposing"] == {"segments": [], "strongest": None}


def test_localisation_share_and_pointing_game():
    mask = np.zeros((4, 4), bool)
    mask[:2] = True
    maps = np.zeros((4, 4, 4))
    maps[0, 0, 0], maps[0, 3, 3] = 3.0, 1.0          # 3/4 inside, peak inside
    maps[1, 0, 0], maps[1, 3, 3] = 1.0, 3.0          # 1/4 inside, peak outside
    maps[1, 2, 2] = -10.0                            # ignored
    maps[3, 0, 0], maps[3, 3, 3] = 2.0, 2.0          # two equal peaks, one inside
    result = compute_localisation(maps, mask)
    np.testing.assert_allclose(result.mass_share, [0.75, 0.25, 0.0, 0.5])
    np.testing.assert_allclose(result.pointing, [1.0, 0.0, 0.0, 0.5])   # a blank map points nowhere
    np.testing.assert_allclose(result.area_share, 0.5)
    assert result.mean_mass_share == 0.375 and result.pointing_game == 0.375


def test_localisation_on_synthetic_evidence(faces):
    maps = np.stack([blob_on(regions, MOUTH) for regions in faces.regions])
    result = compute_localisation(maps, faces.regions == MOUTH)
    assert result.pointing_game == 1.0 and result.mean_mass_share > 0.5
    assert result.mean_area_share < 0.1


@pytest.fixture(scope="module")
def fer_mean_face():
    path = FER / "fer2013-mini.csv"
    if not path.exists():
        pytest.skip("FER2013 samples are not available")
    with path.open() as handle:
        rows = [np.array(row["pixels"].split(), np.float32) for row in csv.DictReader(handle)]
    return np.mean(rows, axis=0).reshape(48, 48) / 255.0


def test_template_fits_the_fer2013_mean_face(fer_mean_face):
    template = template_region_map()
    mean = {r: float(fer_mean_face[template == i].mean()) for i, r in enumerate(REGIONS)}
    # Eyes and mouth are the dark parts of the mean face; the nose bridge is its brightest.
    assert mean["eyes"] < min(mean["brows"], mean["forehead"], mean["nose"], mean["cheeks"]) - 0.05
    assert mean["mouth"] < min(mean["nose"], mean["cheeks"]) - 0.05
    assert mean["nose"] == max(mean[r] for r in REGIONS)
    eye_row = 8 + int(np.argmin(fer_mean_face[8:24, 8:18].mean(axis=1)))
    mouth_row = 30 + int(np.argmin(fer_mean_face[30:46, 16:32].mean(axis=1)))
    assert template[eye_row, 13] == EYES and template[eye_row, 34] == EYES
    assert template[mouth_row, 24] == MOUTH


def test_template_figure_on_the_fer2013_mean_face(fer_mean_face):
    regions = template_region_map()
    grid = plot_region_template(fer_mean_face, regions)
    assert (grid.rows, grid.columns) == (1, 2)
    face = grid.image(0, 0, regions.shape)[..., 0].astype(float)
    assert face.min() == 0 and face.max() == 255                          # stretched for display
    tinted = grid.image(0, 1, regions.shape).astype(float)
    for index, colour in enumerate(REGION_COLOURS):                      # each region in its own colour
        inside = np.argwhere(regions == index)
        assert len(inside), REGIONS[index]
        r, c = inside[len(inside) // 2]
        expected = (1 - TINT) * face[r, c] + TINT * 255 * np.array([int(colour[i:i + 2], 16) for i in (1, 3, 5)]) / 255
        assert np.abs(tinted[r, c] - expected).max() <= 1, REGIONS[index]
    outside = np.argwhere(regions == OUTSIDE)[0]
    assert (tinted[tuple(outside)] == face[tuple(outside)]).all()       # the background is not tinted
