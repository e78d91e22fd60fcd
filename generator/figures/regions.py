"""Face-region figures: the region template drawn over the mean face, so a reader can judge it."""

from __future__ import annotations

import numpy as np
from matplotlib.colors import ListedColormap
from matplotlib.patches import Patch

from generator.explain.common import rescale_each
from generator.figures.common import new_figure, show_image
from generator.vocabulary import OUTSIDE, REGIONS

# One colour per face region (tab10), none for `outside`.
REGION_COLOURS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2")


def plot_region_template(mean_face: np.ndarray, region_map: np.ndarray, alpha: float = 0.35):
    """Mean face | the same with each region tinted and outlined; a legend names the regions.

    `mean_face` (H, W) or (H, W, 1), shown min-max stretched (a mean face is low in contrast);
    `region_map` (H, W) REGIONS indices.
    """
    face = np.asarray(mean_face, dtype=np.float64)
    face = face[..., 0] if face.ndim == 3 else face
    face = rescale_each(face[None])[0]
    regions = np.asarray(region_map)
    fig = new_figure(7.0, 3.4)
    left, right = fig.subplots(1, 2)
    show_image(left, face)
    show_image(right, face)
    tint = np.ma.masked_equal(regions, OUTSIDE)
    right.imshow(tint, cmap=ListedColormap(REGION_COLOURS), vmin=-0.5, vmax=OUTSIDE - 0.5,
                 alpha=alpha, interpolation="nearest")
    _outline(right, regions)
    present = [i for i in range(OUTSIDE) if np.any(regions == i)]
    right.legend(handles=[Patch(facecolor=REGION_COLOURS[i], label=REGIONS[i]) for i in present],
                 loc="center left", bbox_to_anchor=(1.02, 0.5), frameon=False)
    fig.tight_layout()
    return fig


def _outline(ax, regions: np.ndarray) -> None:
    """Draw the borders between differently labelled pixels as white segments."""
    h, w = regions.shape
    xs, ys = [], []
    for r, c in zip(*np.nonzero(regions[:, 1:] != regions[:, :-1])):   # vertical borders
        xs.append((c + 0.5, c + 0.5)), ys.append((r - 0.5, r + 0.5))
    for r, c in zip(*np.nonzero(regions[1:, :] != regions[:-1, :])):   # horizontal borders
        xs.append((c - 0.5, c + 0.5)), ys.append((r + 0.5, r + 0.5))
    for x, y in zip(xs, ys):
        ax.plot(x, y, color="white", linewidth=0.8)
    ax.set_xlim(-0.5, w - 0.5)
    ax.set_ylim(h - 0.5, -0.5)
