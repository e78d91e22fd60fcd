"""Shared drawing: image grids composed pixel by pixel, plots on a headless Figure, deterministic PNGs.

Image grids (faces, maps, patterns) are arrays: each cell is upscaled by a whole factor (every image
pixel a sharp square) and centred in an equal square slot, so a page can lay its row and column headers
over `repeat(n, 1fr)`. Plots (curves) are matplotlib Figures with numbers on their axes and no words.
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from dataclasses import dataclass

import matplotlib

matplotlib.use("Agg")
import numpy as np  # noqa: E402
from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from PIL import Image  # noqa: E402

from generator.explain.common import rescale_each  # noqa: E402
from generator.figures import style  # noqa: E402


@dataclass(frozen=True)
class Grid:
    """An image grid: `rows` x `columns` square slots of `slot` px, each holding one cell (or blank)."""

    pixels: np.ndarray          # (rows * slot, columns * slot, 3) uint8
    rows: int
    columns: int
    slot: int
    scale: int                  # image pixels are drawn as scale x scale squares

    def cell(self, row: int, column: int) -> np.ndarray:
        """The pixels of one slot (0-based row and column), margin included."""
        return self.pixels[row * self.slot:(row + 1) * self.slot, column * self.slot:(column + 1) * self.slot]

    def block(self, row: int, column: int, shape: tuple[int, int]) -> np.ndarray:
        """The pixels of the cell drawn in a slot, for an image of `shape` (H, W): a view, to draw on."""
        h, w = shape
        top, left = (self.slot - h * self.scale) // 2, (self.slot - w * self.scale) // 2
        return self.cell(row, column)[top:top + h * self.scale, left:left + w * self.scale]

    def image(self, row: int, column: int, shape: tuple[int, int]) -> np.ndarray:
        """The cell drawn in a slot, sampled back to the image's `shape` (H, W): one colour per image pixel."""
        return self.block(row, column, shape)[self.scale // 2::self.scale, self.scale // 2::self.scale]


def compose(cells: Sequence[Sequence[np.ndarray | None]]) -> Grid:
    """A Grid of RGB cells ((H, W, 3) in [0, 1], all the same size; None: a blank slot), upscaled so the
    grid is about FIGURE_PX wide (MAX_SLOT_PX per slot at most)."""
    rows, columns = len(cells), max(len(row) for row in cells)
    shape = next(c.shape[:2] for row in cells for c in row if c is not None)
    size = max(shape)
    slot = min(style.MAX_SLOT_PX, math.ceil(style.FIGURE_PX / columns))
    pad = max(1, slot // 50)
    scale = max(1, (slot - 2 * pad) // size)
    slot = max(slot, size * scale + 2 * pad)
    top, left = (slot - shape[0] * scale) // 2, (slot - shape[1] * scale) // 2
    pixels = np.full((rows * slot, columns * slot, 3), 255, np.uint8)
    for r, row in enumerate(cells):
        for c, cell in enumerate(row):
            if cell is None:
                continue
            block = np.repeat(np.repeat(to_bytes(cell), scale, axis=0), scale, axis=1)
            y, x = r * slot + top, c * slot + left
            pixels[y:y + block.shape[0], x:x + block.shape[1]] = block
    return Grid(pixels, rows, columns, slot, scale)


def to_bytes(rgb: np.ndarray) -> np.ndarray:
    """uint8 pixels of colours in [0, 1] (clipped), as the PNG stores them."""
    return np.round(np.clip(rgb, 0.0, 1.0) * 255).astype(np.uint8)


def rgb(image: np.ndarray) -> np.ndarray:
    """(H, W, 3) RGB of an image in [0, 1] as an image panel shows it: a colour image in colour, a gray one
    ((H, W) or one channel) repeated in three channels."""
    image = np.asarray(image, dtype=np.float64)
    if image.ndim == 3 and image.shape[-1] == 3:
        return image
    image = image[..., 0] if image.ndim == 3 else image
    return np.repeat(image[..., None], 3, axis=-1)


# Luma weights (ITU-R 601), as Pillow and tf.image.rgb_to_grayscale use.
LUMA = (0.299, 0.587, 0.114)


def map_backdrop(image: np.ndarray) -> np.ndarray:
    """The image to draw under a coloured map or tint: a colour image turned gray (luma, (H, W)), a gray
    one as it is.

    Gray under the map, rather than the colour image under the map's alpha, keeps the map's colours the
    only hues in the panel: a red object in a colour image would otherwise read as high attribution. The
    image panel beside it (`rgb`) shows the colours.
    """
    image = np.asarray(image)
    if image.ndim == 3 and image.shape[-1] == 3:
        return image @ np.asarray(LUMA, dtype=image.dtype)
    return image


def backdrop(image: np.ndarray) -> np.ndarray:
    """(H, W, 3) RGB of `map_backdrop`: the image in gray, to draw a map or tint over."""
    return rgb(map_backdrop(np.asarray(image, dtype=np.float64)))


def attribution(values: np.ndarray) -> np.ndarray:
    """(H, W, 3): a map in [0, 1] in the shared attribution colour map."""
    return style.attribution_colours(values)


def overlay(image: np.ndarray, values: np.ndarray) -> np.ndarray:
    """(H, W, 3): a map in [0, 1] over the dimmed image, in gray (`backdrop`), opaque in proportion to its
    value (faint where low)."""
    alpha = style.OVERLAY_ALPHA * np.clip(np.nan_to_num(values), 0.0, 1.0)[..., None]
    return (1 - alpha) * style.OVERLAY_DIM * backdrop(image) + alpha * attribution(values)


def new_plot(height: float, columns: int = 1, **subplots) -> tuple[Figure, np.ndarray]:
    """A FIGURE_PX-wide Figure (not tied to any GUI or global pyplot state) and its axes, with numbers at
    FONT_PT, so text shown at the page's column width is at least the page's body size."""
    fig = Figure(figsize=(style.PLOT_WIDTH, height), dpi=style.DPI, layout="constrained")
    axes = np.atleast_1d(fig.subplots(1, columns, squeeze=False, **subplots)[0])
    for ax in axes:
        ax.tick_params(labelsize=style.FONT_PT)
        ax.spines[["top", "right"]].set_visible(False)
        ax.grid(alpha=0.3)
    return fig, axes


def draw_line(ax, x, y, key: str, index: int = 0) -> None:
    """Line `key` (a method, `random`, `train`, ...) in its own colour, dashes and marker; on a long line,
    markers every few points, staggered by `index` so lines that run together keep theirs apart."""
    look = style.series(key, index)
    step = max(1, math.ceil(len(x) / style.MARKERS_PER_LINE))
    ax.plot(x, y, color=look.colour, linestyle=look.linestyle, marker=look.marker, lw=style.LINE_WIDTH,
            ms=style.MARKER_SIZE, mew=2, markevery=(index % step, step), label=key)


def figure_png(figure: Grid | Figure) -> bytes:
    """Opaque PNG bytes (gray when every pixel is), with no timestamp or version: equal figures, equal bytes.

    zlib level 6: the default report's 16 figures encode in 1.1 s at 2.08 MB, against 4.7 s at
    2.04 MB with Pillow's `optimize` (level 9 and a search over filters)."""
    pixels = figure.pixels if isinstance(figure, Grid) else _render(figure)
    image = Image.fromarray(pixels[..., 0] if _is_gray(pixels) else pixels)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", compress_level=6)
    return buffer.getvalue()


def _render(fig: Figure) -> np.ndarray:
    """(H, W, 3) uint8 of a Figure drawn at its own size and dpi, on white."""
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    rgba = np.asarray(canvas.buffer_rgba(), dtype=np.float64) / 255.0
    rgb = rgba[..., :3] * rgba[..., 3:] + (1.0 - rgba[..., 3:])
    return to_bytes(rgb)


def _is_gray(pixels: np.ndarray) -> bool:
    return bool(np.all(pixels[..., 0] == pixels[..., 1]) and np.all(pixels[..., 1] == pixels[..., 2]))


def displayable(images: np.ndarray) -> np.ndarray:
    """Images as given when already in [0, 1], otherwise min-max scaled each."""
    images = np.asarray(images, dtype=np.float32)
    if images.size and images.min() >= 0.0 and images.max() <= 1.0:
        return images
    return rescale_each(images)
