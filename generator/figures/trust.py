"""Section 5 figures: deletion/insertion curves, randomisation maps and correlations, method agreement."""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from generator.explain.common import normalise_maps
from generator.explain.methods import title
from generator.figures.common import new_figure, show_image

RANDOM_COLOUR = "0.45"
MAP_CMAP = "turbo"
CELL = 1.3  # inches per map in the randomisation strip


def plot_deletion_insertion(fractions: np.ndarray, deletion: dict, insertion: dict,
                            random_deletion: np.ndarray, random_insertion: np.ndarray) -> Figure:
    """Two panels (deletion, insertion): each method's mean curve (K+1,) against the share of
    pixels moved, the random order dashed; the legend carries each curve's AUC."""
    fig = new_figure(9.0, 3.6)
    fig.set_layout_engine("constrained")
    axes = fig.subplots(1, 2, sharey=True)
    colours = _colours(len(deletion))
    panels = (("Deletion", deletion, random_deletion), ("Insertion", insertion, random_insertion))
    for ax, (name, curves, random) in zip(axes, panels):
        for colour, (method, curve) in zip(colours, curves.items()):
            ax.plot(fractions, curve, color=colour, lw=1.8, label=_with_auc(title(method), fractions, curve))
        ax.plot(fractions, random, color=RANDOM_COLOUR, lw=1.5, ls="--",
                label=_with_auc("Random", fractions, random))
        ax.set_title(name)
        ax.set_xlabel("pixels removed" if name == "Deletion" else "pixels inserted")
        ax.set_xlim(0, 1)
        ax.set_ylim(0, 1.02)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8, title="AUC", title_fontsize=8)
    axes[0].set_ylabel("target probability")
    return fig


def plot_randomisation_maps(image: np.ndarray, example_maps: dict, layers) -> Figure:
    """Rows = methods, columns = the image, the trained model's map, then the map after each
    cascading stage (headed by the last layer re-initialised). Each map is |map| scaled to
    [0, 1] at its own 99th percentile, so only the pattern is compared."""
    methods = list(example_maps)
    columns = 2 + len(layers)
    fig = new_figure(CELL * columns + 0.3, CELL * len(methods) + 0.6)
    fig.set_layout_engine("constrained")
    axes = np.asarray(fig.subplots(len(methods), columns, squeeze=False))
    for row, method in enumerate(methods):
        show_image(axes[row, 0], image)
        shown = normalise_maps(np.abs(example_maps[method]))
        for column, cell in enumerate(shown, start=1):
            show_image(axes[row, column], cell, cmap=MAP_CMAP)
        axes[row, 0].set_ylabel(title(method))
    for column, heading in enumerate(["image", "trained", *layers]):
        axes[0, column].set_title(heading, fontsize=8)
    return fig


def plot_randomisation_correlations(layers, mean_correlations: dict, threshold: float) -> Figure:
    """Mean rank correlation with the trained model's maps (S,) per method after each stage,
    with the pass threshold dotted."""
    fig = new_figure(max(5.0, 0.75 * len(layers) + 2.5), 3.6)
    fig.set_layout_engine("constrained")
    ax = fig.subplots()
    stages = np.arange(len(layers) + 1)
    for colour, (method, values) in zip(_colours(len(mean_correlations)), mean_correlations.items()):
        ax.plot(stages, np.concatenate([[1.0], values]), marker="o", ms=4, color=colour, label=title(method))
    ax.axhline(threshold, color=RANDOM_COLOUR, ls=":", lw=1.2)
    ax.axhline(0.0, color="black", lw=0.6)
    ax.set_xticks(stages, ["trained", *layers], rotation=35, ha="right", fontsize=8)
    ax.set_ylim(min(-0.2, ax.get_ylim()[0]), 1.05)
    ax.set_xlabel("re-initialised down to")
    ax.set_ylabel("rank correlation")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="upper right")
    return fig


def plot_agreement(matrix: np.ndarray, methods) -> Figure:
    """The methods x methods mean rank correlation as a heatmap on [-1, 1], values written in."""
    size = 1.0 + 0.75 * len(methods)
    fig = new_figure(size + 1.2, size)
    fig.set_layout_engine("constrained")
    ax = fig.subplots()
    shown = ax.imshow(matrix, cmap="RdBu_r", vmin=-1.0, vmax=1.0)
    names = [title(m) for m in methods]
    ax.set_xticks(range(len(methods)), names, rotation=40, ha="right", fontsize=8)
    ax.set_yticks(range(len(methods)), names, fontsize=8)
    for (i, j), value in np.ndenumerate(matrix):
        if np.isfinite(value):
            ax.text(j, i, f"{value:.2f}", ha="center", va="center", fontsize=8,
                    color="white" if abs(value) > 0.6 else "black")
    fig.colorbar(shown, ax=ax, shrink=0.8)
    return fig


def _with_auc(label: str, fractions: np.ndarray, curve: np.ndarray) -> str:
    return f"{label} {float(np.trapezoid(curve, fractions)):.3f}"


def _colours(count: int) -> list:
    import matplotlib

    palette = matplotlib.colormaps["tab10"]
    return [palette(i % 10) for i in range(count)]
