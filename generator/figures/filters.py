"""Filter figures: patterns and feature maps in the same grid, so row r, column c is one filter in both."""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from generator.explain.common import rescale_each
from generator.figures.common import new_figure, show_image

CELL = 1.1  # inches per grid cell
MAP_CMAP = "viridis"


def plot_filter_grid(patterns: np.ndarray, ncols: int = 8, indices=None, dead=None) -> Figure:
    """Patterns (F, H, W, C), each min-max rescaled, titled with its filter index.

    Cells of `dead` filters (F,) bool are drawn plain mid-grey: their pattern is only start noise.
    """
    patterns = np.asarray(patterns, dtype=np.float32)
    if patterns.ndim == 4 and patterns.shape[-1] not in (1, 3):
        patterns = patterns.mean(axis=-1)  # show other channel counts as their mean
    shown = rescale_each(patterns)
    if dead is not None:
        shown[np.asarray(dead, dtype=bool)] = 0.5
    return _grid(shown, ncols, indices, cmap="gray")


def plot_feature_maps(maps: np.ndarray, ncols: int = 8, indices=None) -> Figure:
    """Feature maps (F, h, w), each min-max rescaled, in the same grid and order as the patterns."""
    return _grid(rescale_each(np.asarray(maps, dtype=np.float32)), ncols, indices, cmap=MAP_CMAP)


def grid_position(index: int, ncols: int = 8) -> tuple[int, int]:
    """1-based (row, column) of the `index`-th cell, as the text names it."""
    return index // ncols + 1, index % ncols + 1


def _grid(images: np.ndarray, ncols: int, indices, cmap: str) -> Figure:
    count = len(images)
    indices = range(count) if indices is None else list(indices)
    ncols = max(1, min(int(ncols), count))
    nrows = -(-count // ncols)
    fig = new_figure(CELL * ncols, (CELL + 0.2) * nrows)
    axes = fig.subplots(nrows, ncols, squeeze=False)
    for cell, ax in enumerate(axes.ravel()):
        if cell >= count:
            ax.set_axis_off()
            continue
        show_image(ax, images[cell], cmap=cmap)
        ax.set_title(str(indices[cell]), fontsize=8, pad=2)
    fig.subplots_adjust(left=0.01, right=0.99, bottom=0.01, top=1 - 0.25 / ((CELL + 0.2) * nrows),
                        wspace=0.08, hspace=0.25)
    return fig
