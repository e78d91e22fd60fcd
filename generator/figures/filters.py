"""Filter figures: patterns and feature maps in the same grid, so row r, column c is one filter in both."""

from __future__ import annotations

import numpy as np

from generator.explain.common import rescale_each
from generator.figures.common import Grid, attribution, compose, rgb


def plot_filter_grid(patterns: np.ndarray, ncols: int = 8, dead=None) -> Grid:
    """Patterns (F, H, W, C), gray or in colour as the input is, each min-max rescaled, row by row, `ncols` per row.

    Cells of `dead` filters (F,) bool are drawn plain mid-grey: their pattern is only start noise.
    """
    patterns = np.asarray(patterns, dtype=np.float32)
    if patterns.ndim == 4 and patterns.shape[-1] not in (1, 3):
        patterns = patterns.mean(axis=-1)  # show other channel counts as their mean
    shown = rescale_each(patterns)
    if dead is not None:
        shown[np.asarray(dead, dtype=bool)] = 0.5
    return _grid([rgb(pattern) for pattern in shown], ncols)


def plot_feature_maps(maps: np.ndarray, ncols: int = 8) -> Grid:
    """Feature maps (F, h, w), each min-max rescaled, in the attribution colour map, in the patterns' order."""
    return _grid([attribution(m) for m in rescale_each(np.asarray(maps, dtype=np.float32))], ncols)


def grid_position(index: int, ncols: int = 8) -> tuple[int, int]:
    """1-based (row, column) of the `index`-th cell, as the text names it."""
    return index // ncols + 1, index % ncols + 1


def _grid(cells: list, ncols: int) -> Grid:
    ncols = max(1, min(int(ncols), len(cells)))
    return compose([cells[start:start + ncols] for start in range(0, len(cells), ncols)])
