"""Section 5 figures: deletion/insertion curves, randomisation maps and correlations."""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import PercentFormatter

from generator.explain.common import normalise_maps
from generator.explain.methods import METHODS
from generator.figures.common import Grid, attribution, compose, draw_line, new_plot, rgb
from generator.figures.style import LINE_WIDTH, series


def plot_deletion_insertion(fractions: np.ndarray, deletion: dict, insertion: dict,
                            random_deletion: np.ndarray, random_insertion: np.ndarray) -> Figure:
    """Two panels (deletion, insertion): each method's mean curve (K+1,) against the share of pixels
    moved, and the random order's; each line in its method's colour, dashes and marker."""
    fig, axes = new_plot(3.6, 2, sharey=True)
    for ax, curves, random in ((axes[0], deletion, random_deletion), (axes[1], insertion, random_insertion)):
        for index, method in enumerate(in_registry_order(curves)):
            draw_line(ax, fractions, curves[method], method, index)
        draw_line(ax, fractions, random, "random")
        ax.set_xlim(0, 1)
        ax.set_ylim(0, 1.02)
        ax.set_xticks([0, 0.25, 0.5, 0.75, 1])
        ax.xaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    fig.set_layout_engine("constrained", wspace=0.08)   # room between the panels' 100% and 0%
    return fig


def plot_randomisation_maps(image: np.ndarray, example_maps: dict) -> Grid:
    """Rows = methods, columns = the image, the trained model's map, then the map after each cascading
    stage. Each map is |map| scaled to [0, 1] at its own 99th percentile, so only the pattern is compared."""
    return compose([[rgb(image), *(attribution(m) for m in normalise_maps(np.abs(example_maps[method])))]
                    for method in in_registry_order(example_maps)])


def plot_randomisation_correlations(mean_correlations: dict, threshold: float) -> Figure:
    """Mean rank correlation with the trained model's maps per method: 1 at stage 0 (the trained model),
    then after each stage (S,); the pass threshold dotted, zero drawn."""
    fig, (ax,) = new_plot(3.8)
    for index, method in enumerate(in_registry_order(mean_correlations)):
        values = np.concatenate([[1.0], mean_correlations[method]])
        draw_line(ax, np.arange(len(values)), values, method, index)
    look = series("threshold")
    ax.axhline(threshold, color=look.colour, linestyle=look.linestyle, lw=LINE_WIDTH)
    ax.axhline(0.0, color="black", lw=0.8)
    ax.xaxis.get_major_locator().set_params(integer=True)
    ax.set_ylim(min(-0.2, ax.get_ylim()[0]), 1.05)
    return fig


def in_registry_order(by_method: dict) -> list[str]:
    """The keys of `by_method` in the method registry's order (the order the pages list methods in), then any other."""
    known = [m.key for m in METHODS if m.key in by_method]
    return known + [key for key in by_method if key not in known]
