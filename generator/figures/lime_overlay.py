"""LIME figures: superpixels supporting or opposing a class (blue and orange, or green and red), and their weights."""

from __future__ import annotations

import numpy as np

from generator.figures import style
from generator.figures.common import Grid, backdrop, compose, rgb


def lime_overlay(image: np.ndarray, result, scheme: str = "cvd-safe", alpha: float = style.TINT_ALPHA) -> np.ndarray:
    """(H, W, 3) RGB: the [0, 1] image, in gray (`backdrop`: a colour image's own hues would read as tint),
    tinted with the scheme's support colour where a superpixel supports
    the class and its opposition colour where it opposes it, the tint's opacity proportional to
    |weight| / max |weight|."""
    support, oppose = style.lime_pair(scheme)
    base = backdrop(np.clip(np.asarray(image, dtype=np.float64), 0.0, 1.0))
    weights = result.weight_map
    top = np.abs(weights).max()
    strength = (alpha * np.abs(weights) / top if top > 0 else np.zeros_like(weights))[..., None]
    colour = np.where((weights > 0)[..., None], support, oppose)
    return base * (1.0 - strength) + colour * strength


def weight_colours(result, scheme: str = "cvd-safe") -> np.ndarray:
    """(H, W, 3) RGB: every superpixel's weight on the scheme's diverging scale, ± its largest |weight|."""
    weights = result.weight_map
    top = max(float(np.abs(weights).max()), 1e-12)
    return style.diverging_colours(weights / top, scheme)


def plot_lime(images: np.ndarray, results, scheme: str = "cvd-safe", heatmap: bool = True) -> Grid:
    """One row per explanation: the image | the tinted superpixels | (optional) every superpixel's weight.

    `images` (N, H, W, C) in [0, 1] for display; `results` the matching LimeResults.
    """
    return compose([[rgb(image), lime_overlay(image, result, scheme),
                     *([weight_colours(result, scheme)] if heatmap else [])]
                    for image, result in zip(images, results)])
