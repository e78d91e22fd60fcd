"""Confusion matrix figure: counts and row-normalised side by side."""

from __future__ import annotations

import numpy as np

from generator.analysis.confusion import row_normalise
from generator.figures.common import new_figure


def plot_confusion(matrix, class_names):
    counts = np.asarray(matrix)
    shares = row_normalise(counts)
    fig = new_figure(11, 4.8)
    axes = fig.subplots(1, 2)
    for ax, values, fmt in ((axes[0], counts, "{:d}"), (axes[1], shares, "{:.2f}")):
        image = ax.imshow(shares, cmap="Blues", vmin=0, vmax=1)
        for (i, j), value in np.ndenumerate(values):
            ax.text(j, i, fmt.format(value), ha="center", va="center", fontsize=7,
                    color="white" if shares[i, j] > 0.6 else "black")
        ticks = np.arange(len(class_names))
        ax.set_xticks(ticks, class_names, rotation=45, ha="right", fontsize=8)
        ax.set_yticks(ticks, class_names, fontsize=8)
        ax.set_xlabel("predicted")
        ax.set_ylabel("true")
    axes[0].set_title("counts", fontsize=9)
    axes[1].set_title("row-normalised", fontsize=9)
    fig.colorbar(image, ax=axes[1], fraction=0.046, pad=0.04)
    fig.tight_layout()
    return fig
