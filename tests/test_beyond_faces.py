"""Beyond faces: colour image folders keep their colour, non-face data get neutral wording and
regions, and the scikit-learn digits build end to end."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from generator.analysis.regions import grid_region_map, resolve_region_scheme
from generator.config import load_config
from generator.data.image_folder import load_image_folder
from generator.figures.regions import GRID_COLOURS
from generator.pages import load_glossary
from generator.vocabulary import GRID_REGIONS
from tests.conftest import build_tiny, read_facts

COLOUR_CLASSES = ("cat", "dog", "car")
# Near-equal gray levels (ITU-R 601 luma about 100): only the hue tells the classes apart.
SQUARE_COLOURS = {"cat": (255, 40, 0), "dog": (0, 170, 0), "car": (90, 70, 255)}
# Small settings for a build in well under a minute on two cores.
QUICK = ["model.epochs=6", "model.patience=6", "methods.lime.num_samples=60", "methods.lime.segments=10",
         "methods.filters.steps=5", "methods.saliency.smooth_samples=2", "methods.cams.class_mean_images=4",
         "mistakes.pairs=1", "mistakes.shown=1", "trust.enabled=false"]


def write_colour_folder(root: Path, per_class: int = 40, test_per_class: int = 8, seed: int = 0) -> Path:
    """32x32 RGB PNGs: gray noise with an 8x8 square whose colour is the class, at a random place."""
    rng = np.random.default_rng(seed)
    for split, count in (("train", per_class), ("test", test_per_class)):
        for name, colour in SQUARE_COLOURS.items():
            folder = root / split / name
            folder.mkdir(parents=True, exist_ok=True)
            for index in range(count):
                image = np.repeat(rng.integers(60, 140, (32, 32, 1)), 3, axis=-1).astype(np.uint8)
                top, left = rng.integers(0, 24, 2)
                image[top:top + 8, left:left + 8] = colour
                Image.fromarray(image).save(folder / f"{index:03d}.png")
    return root


def face_words() -> dict[str, list[str]]:
    """The face vocabulary per language: the glossary's face regions and its face words."""
    glossary = load_glossary()
    return {lang: [glossary["regions"][name][lang] for name in glossary["face_regions"]]
            + glossary["face_words"][lang] for lang in ("en", "zh-TW")}


# -- units -------------------------------------------------------------------

def test_an_image_folder_keeps_its_size_and_colour(tmp_path):
    root = write_colour_folder(tmp_path, per_class=2, test_per_class=1)
    dataset = load_image_folder(root, COLOUR_CLASSES)
    assert dataset.train.images.shape[1:] == (32, 32, 3)
    square = dataset.test.images[dataset.test.labels == 0][0]
    assert np.isclose(square.max(axis=(0, 1)), [1.0, 140 / 255, 140 / 255], atol=0.01).all()
    gray = load_image_folder(root, COLOUR_CLASSES, size=(16, 16), channels=1)
    assert gray.train.images.shape[1:] == (16, 16, 1)


def test_a_gray_folder_stays_gray(tmp_path):
    for index, name in enumerate(COLOUR_CLASSES):
        folder = tmp_path / "train" / name
        folder.mkdir(parents=True)
        Image.fromarray(np.full((20, 24, 3), 40 * index, np.uint8)).save(folder / "a.png")  # gray saved as RGB
    assert load_image_folder(tmp_path, COLOUR_CLASSES).train.images.shape[1:] == (20, 24, 1)


def test_regions_follow_the_data_unless_set():
    assert resolve_region_scheme(None, "expressions").kind == "face"
    assert resolve_region_scheme(None, "images").kind == "grid"
    assert resolve_region_scheme("none", "expressions").names == ("image",)
    assert resolve_region_scheme({"eyes": [0.1, 0.2, 0.9, 0.4]}, "images").kind == "face"
    grid = grid_region_map((32, 32))
    assert [GRID_REGIONS[grid[y, x]] for y, x in ((0, 0), (16, 16), (31, 31))] == ["top-left", "centre",
                                                                                  "bottom-right"]
    assert np.bincount(grid.ravel()).tolist() == [11 * 11, 11 * 10, 11 * 11, 10 * 11, 100, 10 * 11, 11 * 11,
                                                  11 * 10, 11 * 11]


def test_the_subject_and_the_digit_classes_follow_the_format(tmp_path):
    config = tmp_path / "report.yml"
    config.write_text("data: {format: sklearn-digits}\n")
    loaded = load_config(config)
    assert loaded.classes == [str(d) for d in range(10)] and loaded.data.subject is None
    assert load_config(config, ["data.subject=images"]).data.subject == "images"


@pytest.mark.parametrize("setting, key", [("data.image_size=[32]", "data.image_size"),
                                          ("data.channels=2", "data.channels"),
                                          ("classes=[a, b]", "classes"),
                                          ("regions=grids", "regions")])
def test_bad_image_settings_name_their_key(tmp_path, setting, key):
    from generator.errors import UserError

    config = tmp_path / "report.yml"
    config.write_text("data: {format: sklearn-digits}\n")
    with pytest.raises(UserError) as caught:
        load_config(config, [setting])
    assert caught.value.where == key


# -- builds ------------------------------------------------------------------

@pytest.fixture(scope="module")
def colour_project(tmp_path_factory, shared_cache) -> Path:
    """A tiny report of a colour image folder whose classes differ only by hue."""
    folder = tmp_path_factory.mktemp("colour")
    write_colour_folder(folder / "data")
    return build_tiny(folder, shared_cache, "data.format=image-folder", "data.path=data",
                      "classes=[cat, dog, car]", *QUICK, "model.epochs=15", "model.patience=15")


@pytest.mark.slow
def test_a_colour_folder_is_learnt_in_colour(colour_project):
    facts = read_facts(colour_project)
    assert facts["data"]["image_shape"] == [32, 32, 3] and facts["model"]["input_shape"] == [32, 32, 3]
    assert facts["accuracy"] >= 0.8 and facts["evaluation"]["chance"] == pytest.approx(1 / 3, abs=1e-3)


@pytest.mark.slow
def test_non_face_pages_use_no_face_words_and_name_grid_regions(colour_project):
    facts = read_facts(colour_project)
    assert (facts["data"]["subject"], facts["data"]["regions"]) == ("images", "grid")
    assert facts["trust"]["available"] is False
    glossary = load_glossary()
    for lang, words in face_words().items():
        pages = {page: page.read_text(encoding="utf-8") for page in (colour_project / "docs").glob(f"*.{lang}.md")}
        assert len(pages) == 9
        for page, text in pages.items():
            found = [w for w in words if _mentions(text, w, lang)]
            assert found == [], f"{page.name}: {found}"
        data_page = pages[colour_project / "docs" / f"data.{lang}.md"]
        assert all(glossary["regions"][name][lang] in data_page for name in GRID_REGIONS)
        for name, colour in zip(GRID_REGIONS, GRID_COLOURS):  # the page's legend, the figure has none
            assert f'background: {colour}"></span>{glossary["regions"][name][lang]}</span>' in data_page
    index = (colour_project / "docs" / "index.en.md").read_text(encoding="utf-8")
    assert index.startswith("# How does this CNN classify images?") and "32x32 colour images" in index


@pytest.mark.slow
def test_colour_images_are_drawn_in_colour_and_gray_under_maps(colour_project):
    facts = read_facts(colour_project)
    docs = colour_project / "docs"
    for figure in (facts["data"]["figures"]["sample_grid"], facts["saliency"]["figures"]["saliency"]):
        pixels = np.asarray(Image.open(docs / figure).convert("RGB"), np.int16)
        spread = pixels.max(axis=-1) - pixels.min(axis=-1)
        assert (spread > 100).sum() > 100, figure  # saturated square colours, not gray


def test_maps_are_drawn_over_the_colour_image_in_gray():
    from generator.figures.common import map_backdrop

    colour = np.zeros((2, 2, 3))
    colour[0, 0] = (1.0, 0.0, 0.0)
    assert map_backdrop(colour).shape == (2, 2) and map_backdrop(colour)[0, 0] == pytest.approx(0.299)
    gray = np.full((2, 2, 1), 0.5)
    assert map_backdrop(gray) is gray


def test_grid_regions_are_tinted_over_the_image_in_gray_beside_it_in_colour():
    from generator.figures.common import LUMA
    from generator.figures.regions import TINT, plot_region_template, region_colours

    image = np.zeros((9, 9, 3))
    image[..., 0] = np.linspace(0.0, 1.0, 9)[None, :]          # a red ramp, left to right
    regions = grid_region_map((9, 9))
    grid = plot_region_template(image, regions, GRID_REGIONS, None)
    assert (grid.rows, grid.columns) == (1, 2)
    left, right = (grid.image(0, column, (9, 9)).astype(float) for column in (0, 1))
    assert (left[..., 1:] == 0).all() and left[..., 0].max() == 255  # the image panel in colour
    assert region_colours(GRID_REGIONS, None) == dict(zip(GRID_REGIONS, GRID_COLOURS))
    for index, colour in enumerate(GRID_COLOURS):                   # each cell in its colour, over gray
        r, c = 3 * (index // 3) + 1, 3 * (index % 3) + 1
        rgb = np.array([int(colour[i:i + 2], 16) for i in (1, 3, 5)])
        expected = (1 - TINT) * LUMA[0] * left[r, c, 0] + TINT * rgb
        assert np.abs(right[r, c] - expected).max() <= 1, GRID_REGIONS[index]


def _mentions(text: str, word: str, lang: str) -> bool:
    import re

    return bool(re.search(rf"\b{re.escape(word)}\b", text, re.I) if lang == "en" else word in text)


@pytest.mark.slow
def test_the_digits_report_builds_end_to_end(tmp_path, shared_cache):
    project = build_tiny(tmp_path, shared_cache, "data.format=sklearn-digits", "classes=null", *QUICK,
                         "model.epochs=3", "trust.enabled=true", "trust.images=10", "trust.steps=4")
    facts = read_facts(project)
    matrix = np.array(facts["confusion_matrix"])
    assert facts["class_names"] == [str(d) for d in range(10)] and matrix.shape == (10, 10)
    assert facts["data"]["image_shape"] == [32, 32, 1] and facts["data"]["regions"] == "grid"
    assert matrix.sum() == facts["data"]["evaluated_size"] == sum(facts["data"]["counts"]["test"].values())
    assert facts["accuracy"] == pytest.approx(np.trace(matrix) / matrix.sum(), abs=1e-4)
    for k, name in enumerate(facts["class_names"]):
        if matrix[k].sum():
            assert facts["per_class_accuracy"][name] == pytest.approx(matrix[k, k] / matrix[k].sum(), abs=1e-4)
    assert facts["accuracy"] > 0.5 and facts["trust"]["mask"] == "none"
    title = (project / "docs" / "index.zh-TW.md").read_text(encoding="utf-8").splitlines()[0]
    assert title == "# 這個 CNN 如何辨認手寫數字？"
