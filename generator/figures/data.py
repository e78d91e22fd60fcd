"""Figures of the Data and model page: sample grid and training curves."""

from __future__ import annotations

import numpy as np

from generator.figures.common import Grid, compose, draw_line, new_plot, rgb
from generator.figures.style import LINE_WIDTH, series


def plot_sample_grid(images: np.ndarray, labels: np.ndarray, classes: int, per_class: int = 8) -> Grid:
    """One row per class (0 to `classes` - 1), the first `per_class` images of that class."""
    rows: list[list[np.ndarray | None]] = [[rgb(images[i]) for i in np.flatnonzero(labels == k)[:per_class]]
                                           for k in range(classes)]
    rows = [row + [None] * (per_class - len(row)) for row in rows]
    if not any(cell is not None for row in rows for cell in row):
        rows[0][0] = np.ones((*images.shape[1:3], 3))   # no image at all: one blank cell keeps the layout
    return compose(rows)


def plot_training_curves(history: dict[str, list[float]], best_epoch: int):
    """Two panels (loss, accuracy) per epoch, training solid and validation dashed; the kept epoch dotted."""
    fig, axes = new_plot(3.2, 2)
    epochs = np.arange(1, len(history["loss"]) + 1)
    kept = series("kept_epoch")
    for ax, metric in zip(axes, ("loss", "accuracy")):
        draw_line(ax, epochs, history[metric], "train")
        draw_line(ax, epochs, history[f"val_{metric}"], "validation")
        ax.axvline(best_epoch, color=kept.colour, linestyle=kept.linestyle, lw=LINE_WIDTH)
        ax.xaxis.get_major_locator().set_params(integer=True)
    return fig
