"""The sample images: each image beside a bar chart of its predicted probabilities."""

from __future__ import annotations

import numpy as np

from generator.figures.common import new_figure, show_image


def plot_sample_probabilities(images: np.ndarray, probabilities: np.ndarray, labels, class_names):
    """One column per sample: the image above its probabilities (true class in dark blue)."""
    count = len(images)
    fig = new_figure(1.6 * count, 3.6)
    axes = fig.subplots(2, count, squeeze=False, height_ratios=[1, 1.1])
    positions = np.arange(len(class_names))
    for i in range(count):
        show_image(axes[0, i], images[i])
        axes[0, i].set_title(class_names[int(labels[i])], fontsize=9)
        colours = ["#1f3b73" if k == labels[i] else "#9db4d8" for k in positions]
        bars = axes[1, i]
        bars.barh(positions, probabilities[i], color=colours)
        bars.set_xlim(0, 1)
        bars.set_yticks(positions, class_names if i == 0 else [], fontsize=7)
        bars.invert_yaxis()
        bars.tick_params(axis="x", labelsize=7)
        bars.spines[["top", "right"]].set_visible(False)
    fig.tight_layout()
    return fig
