"""Class-activation-map figures: maps per sample image, and class-mean maps per method."""

from __future__ import annotations

import numpy as np

from generator.figures.common import Grid, attribution, compose, overlay, rgb


def plot_cams(images: np.ndarray, cams: dict) -> Grid:
    """One row per image: the image | each method's [0, 1] map over it.

    `images` (N, H, W, C) in [0, 1] for display; `cams` method -> (N, H, W).
    """
    return compose([[rgb(image), *(overlay(image, maps[row]) for maps in cams.values())]
                    for row, image in enumerate(images)])


def plot_class_mean_cams(means: dict) -> Grid:
    """One row per method, one column per class: the class-mean map on a common [0, 1] scale.

    `means` method -> list of (H, W) or None (a blank cell: no image of that class).
    """
    return compose([[None if mean is None else attribution(mean) for mean in row] for row in means.values()])
