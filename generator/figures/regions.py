"""Face-region figures: the region template drawn over the mean face, so a reader can judge it."""

from __future__ import annotations

import numpy as np
from matplotlib.colors import to_rgb

from generator.explain.common import rescale_each
from generator.figures.common import Grid, compose, gray
from generator.vocabulary import OUTSIDE

# One colour per face region (Okabe-Ito: apart for colour-blind readers), none for `outside`; the page's
# legend names them in its language.
# Neighbouring regions get far-apart colours.
REGION_COLOURS = ("#E69F00", "#0072B2", "#009E73", "#F0E442", "#CC79A7", "#D55E00", "#56B4E9")
TINT = 0.5


def plot_region_template(mean_face: np.ndarray, region_map: np.ndarray) -> Grid:
    """The face | the same with each region tinted and outlined in white.

    `mean_face` (H, W) or (H, W, 1), shown min-max stretched (a mean face is low in contrast);
    `region_map` (H, W) REGIONS indices.
    """
    face = np.asarray(mean_face, dtype=np.float64)
    face = gray(rescale_each((face[..., 0] if face.ndim == 3 else face)[None])[0])
    regions = np.asarray(region_map)
    palette = np.array([to_rgb(c) for c in REGION_COLOURS] + [(1.0, 1.0, 1.0)])
    inside = (regions != OUTSIDE)[..., None]
    tinted = np.where(inside, (1 - TINT) * face + TINT * palette[np.minimum(regions, OUTSIDE)], face)
    grid = compose([[face, tinted]])
    labels = np.repeat(np.repeat(regions, grid.scale, axis=0), grid.scale, axis=1)
    grid.block(0, 1, regions.shape)[_borders(labels)] = 255
    return grid


def _borders(labels: np.ndarray) -> np.ndarray:
    """(H, W) bool: pixels beside a pixel of another label, on both sides of each border (2 px lines)."""
    edge = np.zeros(labels.shape, bool)
    across, down = labels[:, 1:] != labels[:, :-1], labels[1:, :] != labels[:-1, :]
    edge[:, 1:] |= across
    edge[:, :-1] |= across
    edge[1:, :] |= down
    edge[:-1, :] |= down
    return edge
