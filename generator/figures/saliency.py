"""Saliency figure: per sample, the image, its saliency, the saliency over the image, SmoothGrad."""

from __future__ import annotations

import numpy as np

from generator.explain.common import normalise_maps
from generator.figures.common import Grid, attribution, compose, displayable, overlay, rgb


def plot_saliency(images: np.ndarray, maps: dict) -> Grid:
    """One row per image: the image, the first method's map, that map over the image, then each other
    method's map. `maps` method -> (N, H, W); each map is normalised per image to [0, 1] for display."""
    shown = displayable(images)
    first, *others = maps
    normalised = {key: normalise_maps(values) for key, values in maps.items()}
    return compose([[rgb(image), attribution(normalised[first][row]), overlay(image, normalised[first][row]),
                     *(attribution(normalised[key][row]) for key in others)]
                    for row, image in enumerate(shown)])
