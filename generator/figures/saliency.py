"""Saliency figure: per sample, the image, its saliency, the saliency over the image, SmoothGrad."""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from generator.explain.common import normalise_maps, rescale_each
from generator.explain.methods import title
from generator.figures.common import map_backdrop, new_figure, show_image

MAP_CMAP = "turbo"
CELL = 1.7  # inches per panel: a 48-px face drawn about 3.5x


def plot_saliency(images: np.ndarray, maps: dict, class_names, labels) -> Figure:
    """One row per image, labelled with its class: the image, the first method's map, that map
    over the image, then each other method's map. `maps` method -> (N, H, W), each map
    normalised per image to [0, 1]."""
    shown = displayable(images)
    first, *others = maps
    normalised = {key: normalise_maps(values) for key, values in maps.items()}
    columns = ["Image", title(first), "Overlay", *(title(key) for key in others)]
    fig = new_figure(CELL * len(columns) + 0.6, CELL * len(shown) + 0.3)
    fig.set_layout_engine("constrained")
    axes = fig.subplots(len(shown), len(columns), squeeze=False)
    for row, (image, label) in enumerate(zip(shown, labels)):
        lead = normalised[first][row]
        show_image(axes[row, 0], image)
        show_image(axes[row, 1], lead, cmap=MAP_CMAP)
        show_image(axes[row, 2], map_backdrop(image))
        show_image(axes[row, 2], lead, cmap=MAP_CMAP, alpha=0.75 * lead)  # faint where low
        for column, key in enumerate(others, start=3):
            show_image(axes[row, column], normalised[key][row], cmap=MAP_CMAP)
        axes[row, 0].set_ylabel(class_names[int(label)])
    for column, heading in enumerate(columns):
        axes[0, column].set_title(heading)
    mapped = axes[0, 1].images[0]
    fig.colorbar(mapped, ax=axes[:, 1:].ravel().tolist(), shrink=0.9 if len(shown) < 3 else 0.5, aspect=25)
    return fig


def displayable(images: np.ndarray) -> np.ndarray:
    """Images as given when already in [0, 1], otherwise min-max scaled each."""
    images = np.asarray(images, dtype=np.float32)
    if images.size and images.min() >= 0.0 and images.max() <= 1.0:
        return images
    return rescale_each(images)
