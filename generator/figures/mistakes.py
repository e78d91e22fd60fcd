"""Mistakes figure: misclassified images with the maps for the predicted and for the true class.

Language-neutral, like every image grid: the page lays the column headers over its equal slots.
"""

from __future__ import annotations

import numpy as np

from generator.figures.common import Grid, compose, overlay, rgb
from generator.figures.lime_overlay import lime_overlay


def plot_mistakes(images: np.ndarray, cams: dict[str, np.ndarray], limes: dict[str, list],
                  scheme: str = "cvd-safe") -> Grid:
    """One row per image: the image | each Grad-CAM map over it (`cams`: column key -> (N, H, W) in
    [0, 1], predicted then true class) | each LIME tint (`limes`: column key -> the images'
    LimeResults, in the `scheme`'s colours). `images` (N, H, W, C) in [0, 1]."""
    return compose([[rgb(image), *(overlay(image, maps[row]) for maps in cams.values()),
                     *(lime_overlay(image, results[row], scheme) for results in limes.values())]
                    for row, image in enumerate(images)])
