"""Class-activation-map figures: maps per sample image, and class-mean maps per method."""

from __future__ import annotations

import numpy as np
from matplotlib.cm import ScalarMappable
from matplotlib.colors import Normalize

from generator.explain.methods import title
from generator.figures.common import map_backdrop, new_figure, show_image

CMAP = "jet"


def plot_cams(images: np.ndarray, cams: dict, class_names, labels, alpha: float = 0.45):
    """One row per image: image | each method's [0, 1] map over the image.

    `images` (N, H, W, C) in [0, 1] for display; `cams` method -> (N, H, W).
    """
    methods = list(cams)
    fig = new_figure(1.6 * (1 + len(methods)), 1.7 * len(images))
    axes = np.asarray(fig.subplots(len(images), 1 + len(methods), squeeze=False))
    for row, (image, label) in enumerate(zip(images, labels)):
        show_image(axes[row, 0], image)
        axes[row, 0].set_ylabel(class_names[int(label)])
        for column, method in enumerate(methods, start=1):
            show_image(axes[row, column], map_backdrop(image))
            axes[row, column].imshow(cams[method][row], cmap=CMAP, vmin=0.0, vmax=1.0,
                                     alpha=alpha, interpolation="nearest")
    axes[0, 0].set_title("image")
    for column, method in enumerate(methods, start=1):
        axes[0, column].set_title(title(method))
    fig.tight_layout()
    return fig


def plot_class_mean_cams(means: dict, class_names, background: np.ndarray | None = None,
                         alpha: float = 0.5):
    """One row per method, one column per class: the class-mean map on a common [0, 1] scale.

    `means` method -> list of (H, W) or None (drawn as a blank cell). With `background`
    (H, W) or (H, W, C) in [0, 1], e.g. the mean face, maps are drawn over it.
    """
    methods = list(means)
    fig = new_figure(1.45 * len(class_names) + 0.6, 1.5 * len(methods))
    axes = np.asarray(fig.subplots(len(methods), len(class_names), squeeze=False))
    shown = None
    for row, method in enumerate(methods):
        axes[row, 0].set_ylabel(title(method))
        for column, mean in enumerate(means[method]):
            ax = axes[row, column]
            if row == 0:
                ax.set_title(class_names[column])
            if mean is None:
                ax.set_xticks([])
                ax.set_yticks([])
                ax.set_facecolor("white")
                for spine in ax.spines.values():
                    spine.set_visible(False)
                continue
            if background is not None:
                show_image(ax, map_backdrop(background))
            shown = ax.imshow(mean, cmap=CMAP, vmin=0.0, vmax=1.0, interpolation="nearest",
                              alpha=alpha if background is not None else 1.0)
            ax.set_xticks([])
            ax.set_yticks([])
    fig.tight_layout(rect=(0, 0, 0.93, 1))
    if shown is not None:  # an opaque scale even when maps are drawn translucent
        scale = ScalarMappable(norm=Normalize(0.0, 1.0), cmap=CMAP)
        fig.colorbar(scale, ax=axes.ravel().tolist(), fraction=0.02, pad=0.01)
    return fig
