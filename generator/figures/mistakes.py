"""Mistakes figure: misclassified images with the maps for the predicted and for the true class.

Language-neutral: no words in the figure; the page names the columns.
"""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from generator.figures.cams import CMAP
from generator.figures.common import map_backdrop, new_figure, show_image
from generator.figures.lime_overlay import lime_overlay

CELL = 1.7  # inches per panel


def plot_mistakes(images: np.ndarray, cams: dict[str, np.ndarray], limes: dict[str, list],
                  alpha: float = 0.45) -> Figure:
    """One row per image: the image, then each Grad-CAM map (`cams`: column key -> (N, H, W) in
    [0, 1], e.g. predicted then true class), then each LIME overlay (`limes`: column key -> the
    images' LimeResults). `images` (N, H, W, C) in [0, 1]."""
    columns = 1 + len(cams) + len(limes)
    fig = new_figure(CELL * columns, CELL * len(images))
    axes = np.asarray(fig.subplots(len(images), columns, squeeze=False))
    for row, image in enumerate(images):
        show_image(axes[row, 0], image)
        for column, maps in enumerate(cams.values(), start=1):
            show_image(axes[row, column], map_backdrop(image))
            axes[row, column].imshow(maps[row], cmap=CMAP, vmin=0.0, vmax=1.0, alpha=alpha, interpolation="nearest")
        for column, results in enumerate(limes.values(), start=1 + len(cams)):
            show_image(axes[row, column], lime_overlay(image, results[row]))
    fig.tight_layout(pad=0.3)
    return fig
