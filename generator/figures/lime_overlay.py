"""LIME figures: superpixels supporting (green) or opposing (red) a class, and their weights."""

from __future__ import annotations

import numpy as np

from generator.explain.methods import title
from generator.figures.common import map_backdrop, new_figure, show_image

SUPPORT = np.array([0.0, 0.8, 0.0])
OPPOSE = np.array([0.9, 0.0, 0.0])


def lime_overlay(image: np.ndarray, result, alpha: float = 0.6) -> np.ndarray:
    """(H, W, 3) RGB: the [0, 1] image, in gray (see map_backdrop), tinted green where a superpixel
    supports the class and red where it opposes it, the tint's opacity proportional to |weight| /
    max |weight|."""
    gray = map_backdrop(np.clip(np.asarray(image, dtype=np.float64), 0.0, 1.0))
    base = np.repeat(gray.reshape(*gray.shape[:2], 1), 3, axis=-1)
    weights = result.weight_map
    top = np.abs(weights).max()
    strength = (alpha * np.abs(weights) / top if top > 0 else np.zeros_like(weights))[..., None]
    colour = np.where((weights > 0)[..., None], SUPPORT, OPPOSE)
    return base * (1.0 - strength) + colour * strength


def plot_lime(images: np.ndarray, results, class_names, labels, heatmap: bool = True):
    """One row per image: image | green/red superpixel overlay | (optional) weight map.

    `images` (N, H, W, C) in [0, 1] for display; `results` the matching LimeResults. The
    row is named by the true class; an overlay explaining another class is labelled with it.
    """
    columns = 3 if heatmap else 2
    fig = new_figure(1.7 * columns, 1.75 * len(images))
    axes = np.asarray(fig.subplots(len(images), columns, squeeze=False))
    for row, (image, result, label) in enumerate(zip(images, results, labels)):
        show_image(axes[row, 0], image)
        axes[row, 0].set_ylabel(class_names[int(label)])
        show_image(axes[row, 1], lime_overlay(image, result))
        if result.target != int(label):
            axes[row, 1].set_xlabel(class_names[result.target])
        if heatmap:
            weights = result.weight_map
            top = max(float(np.abs(weights).max()), 1e-12)
            show_image(axes[row, 2], weights, cmap="RdYlGn", vmin=-top, vmax=top)
    for column, heading in enumerate(("image", title("lime"), "weights")[:columns]):
        axes[0, column].set_title(heading)
    fig.tight_layout()
    return fig
