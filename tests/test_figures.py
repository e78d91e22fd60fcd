"""Figures for every reader: no words drawn into them, one attribution colour map, LIME's colours apart for
colour-blind readers, lines told apart without colour, drawn for high-density screens; and the words around
them written in the page, in its language."""

import importlib
import inspect
import io
import pkgutil
import re
import typing
from pathlib import Path

import numpy as np
import pytest
from matplotlib.colors import to_rgb
from matplotlib.figure import Figure
from matplotlib.text import Text
from PIL import Image

import generator.figures as figures_package
from generator.analysis.regions import template_region_map
from generator.config import FiguresConfig
from generator.explain.lime_method import LimeResult
from generator.explain.methods import METHODS
from generator.figures import style
from generator.figures.cams import plot_cams, plot_class_mean_cams
from generator.figures.common import Grid, draw_line, figure_png, new_plot
from generator.figures.data import plot_sample_grid, plot_training_curves
from generator.figures.filters import plot_feature_maps, plot_filter_grid
from generator.figures.lime_overlay import plot_lime
from generator.figures.mistakes import plot_mistakes
from generator.figures.regions import plot_region_template
from generator.figures.saliency import plot_saliency
from generator.figures.trust import plot_deletion_insertion, plot_randomisation_correlations, plot_randomisation_maps

KEYS = [m.key for m in METHODS]
TITLES = {m.title for m in METHODS}
CAMS = ("gradcam", "gradcam++", "scorecam", "layercam")
NUMBER = re.compile(r"[−-]?\d+(?:\.\d+)?%?")
CJK = re.compile("[\u3400-\u9fff]")


def faces(n: int = 7, size: int = 48, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).uniform(0, 1, (n, size, size, 1)).astype(np.float32)


def maps(n: int = 7, size: int = 48, seed: int = 1) -> np.ndarray:
    return np.random.default_rng(seed).uniform(0, 1, (n, size, size)).astype(np.float32)


def lime_results(n: int) -> list[LimeResult]:
    """4x4 superpixels of 12x12 pixels; weights from -1 (top left) to +1 (bottom right)."""
    segments = (np.arange(48)[:, None] // 12) * 4 + np.arange(48)[None, :] // 12
    return [LimeResult(0, segments, np.linspace(-1, 1, 16), 0.0, 0.5) for _ in range(n)]


def curves(keys, steps: int = 21) -> dict:
    x = np.linspace(0, 1, steps)
    return {key: np.exp(-(i + 2) * x) for i, key in enumerate(keys)}


# Every plot function of generator/figures with inputs shaped as a report's.
SAMPLES = {
    "plot_saliency": lambda: plot_saliency(faces(), {"saliency": maps(), "smoothgrad": maps(seed=2)}),
    "plot_cams": lambda: plot_cams(faces(), {key: maps(seed=i) for i, key in enumerate(CAMS)}),
    "plot_class_mean_cams": lambda: plot_class_mean_cams({key: [None, *maps(6, seed=i)] for i, key in enumerate(CAMS)}),
    "plot_lime": lambda: plot_lime(faces(3), lime_results(3)),
    "plot_mistakes": lambda: plot_mistakes(faces(3), {"gradcam_wrong": maps(3), "gradcam_right": maps(3, seed=2)},
                                           {"lime_wrong": lime_results(3), "lime_right": lime_results(3)}),
    "plot_filter_grid": lambda: plot_filter_grid(faces(32)[..., :1], 8, np.arange(32) == 5),
    "plot_feature_maps": lambda: plot_feature_maps(maps(32, 24), 8),
    "plot_sample_grid": lambda: plot_sample_grid(faces(40), np.arange(40) % 7, 7),
    "plot_region_template": lambda: plot_region_template(faces(1)[0], template_region_map()),
    "plot_randomisation_maps": lambda: plot_randomisation_maps(faces(1)[0], {key: maps(6, seed=i)
                                                                             for i, key in enumerate(KEYS)}),
    "plot_training_curves": lambda: plot_training_curves({"loss": [2, 1.5, 1, .8], "val_loss": [2, 1.6, 1.2, 1.1],
                                                          "accuracy": [.2, .5, .7, .8],
                                                          "val_accuracy": [.2, .4, .6, .65]}, 4),
    "plot_deletion_insertion": lambda: plot_deletion_insertion(np.linspace(0, 1, 21), curves(KEYS[:-1]),
                                                               curves(KEYS[:-1]), curves(["r"])["r"],
                                                               curves(["r"])["r"]),
    "plot_randomisation_correlations": lambda: plot_randomisation_correlations(
        {key: np.linspace(0.9, -0.1 * i, 5) for i, key in enumerate(KEYS)}, 0.5),
}
PLOTS = [name for name in SAMPLES if name in ("plot_training_curves", "plot_deletion_insertion",
                                              "plot_randomisation_correlations")]


def drawn_text(figure, monkeypatch) -> list[tuple[str, float]]:
    """(text, size in points) of every piece of text drawn when `figure` is saved as the site's PNG."""
    drawn = []
    original = Text.draw

    def draw(self, renderer):
        if self.get_visible() and self.get_text().strip():
            drawn.append((self.get_text(), self.get_fontsize()))
        return original(self, renderer)

    monkeypatch.setattr(Text, "draw", draw)
    figure_png(figure)
    monkeypatch.setattr(Text, "draw", original)
    return drawn


def words(drawn) -> list[str]:
    """The drawn text that is neither a number nor a method's title: words, which belong in the page."""
    return [text for text, _ in drawn if not NUMBER.fullmatch(text) and text not in TITLES]


# --- no words in figures --------------------------------------------------------------------------

def test_every_plot_function_is_checked():
    found = {name for info in pkgutil.iter_modules(figures_package.__path__)
             for name, function in inspect.getmembers(importlib.import_module(f"generator.figures.{info.name}"),
                                                      inspect.isfunction)
             if name.startswith("plot_") and function.__module__ == f"generator.figures.{info.name}"}
    assert found == set(SAMPLES)


@pytest.mark.parametrize("name", SAMPLES)
def test_figures_draw_numbers_and_no_words(name, monkeypatch):
    figure = SAMPLES[name]()
    assert isinstance(figure, (Grid, Figure))
    drawn = drawn_text(figure, monkeypatch)
    assert words(drawn) == []
    if isinstance(figure, Figure):
        assert drawn, name   # its axes are numbered


def test_the_word_check_finds_a_title_and_a_legend(monkeypatch):
    figure = SAMPLES["plot_deletion_insertion"]()
    figure.axes[0].set_title("Deletion")
    figure.axes[1].legend(["Grad-CAM", "random order"])
    assert words(drawn_text(figure, monkeypatch)) == ["Deletion", "random order"]


# --- density and size ----------------------------------------------------------------------------

@pytest.mark.parametrize("shape", [(48, 1), (64, 1), (96, 3), (200, 1)])
def test_the_saliency_grid_is_at_least_1400_px_wide_in_sharp_squares(shape):
    size, channels = shape
    images = np.repeat(faces(2, size), channels, axis=-1)
    grid = plot_saliency(images, {"saliency": maps(2, size), "smoothgrad": maps(2, size, seed=2)})
    assert grid.pixels.shape[1] >= 1400 and grid.pixels.shape[1] == 4 * grid.slot
    block = grid.block(0, 1, (size, size))
    squares = block.reshape(size, grid.scale, size, grid.scale, 3)
    assert (squares == squares[:, :1, :, :1]).all()   # each image pixel one uniform square


@pytest.mark.parametrize("name", SAMPLES)
def test_figures_are_drawn_at_twice_their_shown_size(name):
    """A grid is shown at most 175 CSS px a column, a plot at the column's width (688 px)."""
    figure = SAMPLES[name]()
    if isinstance(figure, Grid):
        shown = min(style.COLUMN_PX, 175 * figure.columns)
        assert figure.pixels.shape[1] >= 2 * shown - 2 * figure.columns, name
    else:
        with Image.open(io.BytesIO(figure_png(figure))) as image:
            assert image.width == style.FIGURE_PX >= 2 * style.COLUMN_PX


@pytest.mark.parametrize("name", PLOTS)
def test_text_in_plots_is_at_least_the_page_body_size(name, monkeypatch):
    figure = SAMPLES[name]()
    shown_px_per_pt = style.DPI / 72 * style.COLUMN_PX / style.FIGURE_PX
    sizes = [size for _, size in drawn_text(figure, monkeypatch)]
    assert sizes and min(sizes) * shown_px_per_pt >= style.BODY_PX


def test_pngs_are_opaque_and_the_same_bytes_every_time():
    for name in ("plot_saliency", "plot_filter_grid", "plot_deletion_insertion"):
        first, second = figure_png(SAMPLES[name]()), figure_png(SAMPLES[name]())
        assert first == second, name
        with Image.open(io.BytesIO(first)) as image:
            assert image.mode == ("L" if name == "plot_filter_grid" else "RGB"), (name, image.mode)


# --- one attribution colour map -------------------------------------------------------------------

def on_shared_map(pixels: np.ndarray) -> np.ndarray:
    """Per pixel: is its colour one of the shared attribution colour map's 256?"""
    lut = {tuple(c) for c in np.round(style.attribution_lut() * 255).astype(np.uint8)}
    return np.array([tuple(p) in lut for p in pixels.reshape(-1, 3)])


# Sample -> (its maps' size, the cells that show a map on its own), for every figure of attribution-like maps.
MAP_CELLS = {
    "plot_saliency": (48, [(r, c) for r in range(7) for c in (1, 3)]),
    "plot_class_mean_cams": (48, [(r, c) for r in range(4) for c in range(1, 7)]),
    "plot_randomisation_maps": (48, [(r, c) for r in range(len(KEYS)) for c in range(1, 7)]),
    "plot_feature_maps": (24, [(r, c) for r in range(4) for c in range(8)]),
}


@pytest.mark.parametrize("name", MAP_CELLS)
def test_attribution_figures_use_the_shared_colour_map(name):
    grid = SAMPLES[name]()
    size, cells = MAP_CELLS[name]
    for row, column in cells:
        assert on_shared_map(grid.image(row, column, (size, size))).all(), (name, row, column)


def test_the_colour_map_check_refuses_another_map():
    import matplotlib

    values = np.linspace(0, 1, 1000)
    jet = np.round(matplotlib.colormaps["jet"](values)[:, :3] * 255).astype(np.uint8)
    shared = np.round(style.attribution_colours(values) * 255).astype(np.uint8)
    assert on_shared_map(shared).all() and on_shared_map(jet).mean() < 0.05


def test_overlays_blend_the_shared_map_over_the_dimmed_image():
    image, values = np.full((48, 48, 1), 0.8), np.tile(np.linspace(0, 1, 48), (48, 1))
    grid = plot_cams(image[None], {"gradcam": values[None]})
    drawn = grid.image(0, 1, (48, 48)).astype(float) / 255
    np.testing.assert_allclose(drawn[0, 0], [style.OVERLAY_DIM * 0.8] * 3, atol=1 / 255)     # value 0: image only
    top = (1 - style.OVERLAY_ALPHA) * style.OVERLAY_DIM * 0.8 + style.OVERLAY_ALPHA * style.attribution_lut()[-1]
    np.testing.assert_allclose(drawn[0, -1], top, atol=1 / 255)                              # value 1: the map's top


def test_the_pages_colour_bar_is_the_shared_map():
    stops = re.findall(r"#([0-9a-f]{6}) (\d+)%", style.css_gradient())
    colours = np.array([[int(h[i:i + 2], 16) for i in (0, 2, 4)] for h, _ in stops], np.uint8)
    assert len(stops) >= 5 and on_shared_map(colours).all()
    assert [int(p) for _, p in stops] == sorted(int(p) for _, p in stops)
    assert (colours[0] < 30).all() and (colours[-1] > 150).all()   # dark (0) to light (1)


# --- LIME's colours ---------------------------------------------------------------------------------

# Machado, Oliveira and Fernandes (2009): full protanopia, deuteranopia, tritanopia in linear RGB.
CVD = {
    "protanopia": [[0.152286, 1.052583, -0.204868], [0.114503, 0.786281, 0.099216], [-0.003882, -0.048116, 1.051998]],
    "deuteranopia": [[0.367322, 0.860646, -0.227968], [0.280085, 0.672501, 0.047413], [-0.011820, 0.042940, 0.968881]],
    "tritanopia": [[1.255528, -0.076749, -0.178779], [-0.078411, 0.930809, 0.147602], [0.004733, 0.691367, 0.303900]],
}
APART = 40   # CIE76 ΔE between the two tints, as a colour-blind reader sees them


def _linear(rgb):
    return np.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)


def _lab(linear):
    xyz = linear @ np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]]).T
    f = (lambda t: np.where(t > 0.008856, np.cbrt(t), 7.787 * t + 16 / 116))(xyz / [0.95047, 1.0, 1.08883])
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


def seen_apart(scheme: str) -> dict[str, float]:
    """ΔE between LIME's support and opposition tints on a mid-gray face, per kind of colour blindness."""
    tints = [(1 - style.TINT_ALPHA) * 0.6 + style.TINT_ALPHA * colour for colour in style.lime_pair(scheme)]
    return {kind: float(np.linalg.norm(_lab(np.clip(_linear(tints[0]) @ np.array(m).T, 0, 1))
                                       - _lab(np.clip(_linear(tints[1]) @ np.array(m).T, 0, 1))))
            for kind, m in CVD.items()}


def test_lime_is_colour_blind_safe_by_default_and_green_red_is_not():
    assert FiguresConfig().lime_colours == "cvd-safe"
    assert set(typing.get_args(typing.get_type_hints(FiguresConfig)["lime_colours"])) == set(style.LIME_COLOURS)
    assert min(seen_apart("cvd-safe").values()) >= APART, seen_apart("cvd-safe")
    assert seen_apart("green-red")["deuteranopia"] < APART   # the check tells the seed's pair apart


@pytest.mark.parametrize("scheme, support, oppose", [("cvd-safe", "blue", "orange"), ("green-red", "green", "red")])
def test_lime_figure_draws_support_and_opposition_in_the_schemes_colours(scheme, support, oppose):
    grid = plot_lime(faces(1), lime_results(1), scheme)
    tinted = grid.image(0, 1, (48, 48)).astype(int)
    weights = grid.image(0, 2, (48, 48)).astype(int)
    hue = {"blue": lambda p: p[2] > p[0] + 60, "orange": lambda p: p[0] > p[2] + 60 and p[0] > p[1] > p[2],
           "green": lambda p: p[1] > max(p[0], p[2]) + 60, "red": lambda p: p[0] > max(p[1], p[2]) + 60}
    assert hue[support](tinted[47, 47]) and hue[oppose](tinted[0, 0])          # weights +1 and -1
    assert hue[support](weights[47, 47]) and hue[oppose](weights[0, 0])
    colours = [np.round(np.array(c) * 255) for c in style.lime_pair(scheme)]
    np.testing.assert_allclose(weights[47, 47], colours[0], atol=1)          # the strongest: the pure colour
    np.testing.assert_allclose(weights[0, 0], colours[1], atol=1)


# --- lines told apart without colour -------------------------------------------------------------

@pytest.mark.parametrize("name", PLOTS)
def test_every_line_has_its_own_dashes_and_marker(name):
    figure = SAMPLES[name]()
    for ax in figure.axes:
        lines = [line for line in ax.lines if not line.get_label().startswith("_")]
        markers = [str(line.get_marker()) for line in lines]
        assert len(lines) >= 2 and len(set(markers)) == len(markers), markers   # markers alone tell them apart


def test_grad_cam_and_grad_cam_plus_plus_differ_in_dashes_and_marker():
    a, b = style.series("gradcam"), style.series("gradcam++")
    assert a.dashes != b.dashes and a.marker != b.marker


@pytest.mark.parametrize("key", style.SERIES)
def test_the_pages_legend_draws_each_line_as_the_plot_does(key):
    _, (ax,) = new_plot(2)
    draw_line(ax, [0, 1], [0, 1], key)
    line, svg, look = ax.lines[0], style.svg_swatch(key), style.series(key)
    assert to_rgb(line.get_color()) == to_rgb(look.colour) and f'stroke="{look.colour}"' in svg
    assert ("stroke-dasharray" in svg) == (look.dashes is not None) == (line.get_linestyle() != "-")
    has_marker = bool(re.search(r"<(?:circle|rect|polygon|path)\b", svg))
    assert has_marker == (look.marker is not None) == (line.get_marker() not in (None, "None", ""))


def test_table_shading_keeps_text_readable():
    for diverging, values in ((False, np.linspace(0, 1, 101)), (True, np.linspace(-1, 1, 201))):
        for value in values:
            css = style.cell_style(value, -1 if diverging else 0, 1, diverging)
            background, text = re.findall(r"#([0-9a-fA-F]{6})", css)
            rgb = [np.array([int(h[i:i + 2], 16) for i in (0, 2, 4)]) / 255 for h in (background, text)]
            assert style._contrast(*rgb) >= 4.5, (value, css)


# --- the words around the figures, in the page's language ---------------------------------------------

LABELS = re.compile(r'<div class="fig-(?:columns|rows|below|x|y)">(.*?)</div>|<th scope="col">(.*?)</th>', re.S)


def _labels(markdown: str) -> list[str]:
    """The text of every figure header, legend and axis name, and of the column headers of its tables."""
    found = [a or b for a, b in LABELS.findall(markdown)]
    return [re.sub(r"\s+", " ", re.sub(r"<code>.*?</code>|<[^>]+>", " ", text)).strip() for text in found]


@pytest.mark.parametrize("lang", ["en", "zh-TW"])
def test_figure_labels_and_alt_text_are_in_the_pages_language(tiny_project, lang):
    glossary_classes = {"Angry", "Disgust", "Fear", "Happy", "Sad", "Surprise", "Neutral"}
    for page in sorted((tiny_project / "docs").glob(f"*.{lang}.md")):
        text = page.read_text(encoding="utf-8")
        for alt in re.findall(r"!\[([^\]]*)\]\(figures/", text):
            assert bool(CJK.search(alt)) == (lang == "zh-TW"), (page.name, alt)
        if lang != "zh-TW":
            continue
        for label in _labels(text):
            latin = set(re.findall(r"[A-Za-z][A-Za-z+-]*(?:-[A-Za-z]+)*", label)) - {"epoch"}
            leftover = {word for word in latin if not any(word in title for title in TITLES)}
            assert not leftover & glossary_classes and not leftover, (page.name, label)


def test_grid_headers_count_the_figures_rows_and_columns(tiny_project):
    """Each grid figure's headers are laid over repeat(n, 1fr): they must number its PNG's square slots."""
    docs = tiny_project / "docs"
    figures = re.findall(r'<figure class="fig-grid" markdown="block" style="--columns: (\d+); --rows: (\d+)">\n'
                         r'(?:<div class="fig-columns">(.*?)</div>\n)?(?:<div class="fig-rows">(.*?)</div>\n)?'
                         r'<div class="fig-image" markdown="span">!\[[^\]]*\]\(([^)]+)\)',
                         "".join(p.read_text(encoding="utf-8") for p in sorted(docs.glob("*.en.md"))))
    assert len(figures) >= 9
    for columns, rows, column_headers, row_headers, path in figures:
        with Image.open(Path(docs, path)) as image:
            width, height = image.size
        slot = width // int(columns)
        assert width == slot * int(columns) and height % slot == 0, path   # square slots
        if column_headers:
            assert column_headers.count("<span>") == int(columns), path
        if row_headers:
            assert row_headers.count("<span>") == int(rows) == height // slot, path
