"""Saliency figure: per sample, the image, its saliency, the saliency over the image, SmoothGrad."""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from generator.explain.common import normalise_maps, rescale_each
from generator.figures.common import new_figure, show_image

MAP_CMAP = "turbo"
COLUMNS = ("Image", "Saliency", "Overlay", "SmoothGrad")
CELL = 1.7  # inches per panel: a 48-px face drawn about 3.5x


def plot_saliency(images: np.ndarray, saliency: np.ndarray, smoothgrad: np.ndarray,
                  class_names, labels) -> Figure:
    """One row per image, labelled with its class; maps normalised per image to [0, 1]."""
    shown = displayable(images)
    saliency, smoothgrad = normalise_maps(saliency), normalise_maps(smoothgrad)
    fig = new_figure(CELL * len(COLUMNS) + 0.6, CELL * len(shown) + 0.3)
    fig.set_layout_engine("constrained")
    axes = fig.subplots(len(shown), len(COLUMNS), squeeze=False)
    for row, (image, sal, smooth, label) in enumerate(zip(shown, saliency, smoothgrad, labels)):
        show_image(axes[row, 0], image)
        show_image(axes[row, 1], sal, cmap=MAP_CMAP)
        show_image(axes[row, 2], image)
        show_image(axes[row, 2], sal, cmap=MAP_CMAP, alpha=0.75 * sal)  # faint where low
        show_image(axes[row, 3], smooth, cmap=MAP_CMAP)
        axes[row, 0].set_ylabel(class_names[int(label)])
    for col, title in enumerate(COLUMNS):
        axes[0, col].set_title(title)
    mapped = axes[0, 1].images[0]
    fig.colorbar(mapped, ax=axes[:, 1:].ravel().tolist(), shrink=0.9 if len(shown) < 3 else 0.5, aspect=25)
    return fig


def displayable(images: np.ndarray) -> np.ndarray:
    """Images as given when already in [0, 1], otherwise min-max scaled each."""
    images = np.asarray(images, dtype=np.float32)
    if images.size and images.min() >= 0.0 and images.max() <= 1.0:
        return images
    return rescale_each(images)
