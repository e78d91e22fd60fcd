"""Region figures: the regions (face template, grid) drawn over an image, so a reader can judge them."""

from __future__ import annotations

import numpy as np
from matplotlib.colors import ListedColormap
from matplotlib.patches import Patch

from generator.explain.common import rescale_each
from generator.figures.common import map_backdrop, new_figure, show_image
from generator.vocabulary import REGIONS

# One colour per region (tab10), none for the background.
REGION_COLOURS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
                  "#bcbd22")


def plot_region_template(image: np.ndarray, region_map: np.ndarray, names: tuple[str, ...] = REGIONS,
                         background: str | None = "outside", alpha: float = 0.35):
    """Image | the same with each region tinted and outlined; a legend names the regions.

    `image` (H, W, C), shown min-max stretched (a mean image is low in contrast); `region_map`
    (H, W) indices into `names`; the `background` region is left untinted.
    """
    picture = rescale_each(np.asarray(image, dtype=np.float64)[None])[0]
    regions = np.asarray(region_map)
    tinted = [i for i, name in enumerate(names) if name != background]
    fig = new_figure(7.0, 3.4)
    left, right = fig.subplots(1, 2)
    show_image(left, picture)
    show_image(right, map_backdrop(picture))  # gray under the tints, as under every map
    colours = REGION_COLOURS[:len(names)]
    tint = np.ma.masked_equal(regions, names.index(background)) if background else regions
    right.imshow(tint, cmap=ListedColormap(colours), vmin=-0.5, vmax=len(colours) - 0.5,
                 alpha=alpha, interpolation="nearest")
    _outline(right, regions)
    present = [i for i in tinted if np.any(regions == i)]
    right.legend(handles=[Patch(facecolor=colours[i], label=names[i]) for i in present],
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
