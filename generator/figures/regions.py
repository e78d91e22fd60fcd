"""Region figures: the regions (face template, grid) drawn over an image, so a reader can judge them."""

from __future__ import annotations

import numpy as np
from matplotlib.colors import to_rgb

from generator.explain.common import rescale_each
from generator.figures.common import Grid, backdrop, compose, rgb
from generator.vocabulary import GRID_REGIONS, OUTSIDE, REGIONS

# One colour per face region (Okabe-Ito: apart for colour-blind readers), none for `outside`; the page's
# legend names them in its language.
# Neighbouring regions get far-apart colours.
REGION_COLOURS = ("#E69F00", "#0072B2", "#009E73", "#F0E442", "#CC79A7", "#D55E00", "#56B4E9")
# One colour per cell of the 3x3 grid, row by row (Paul Tol's muted scheme: nine colours apart for
# colour-blind readers).
GRID_COLOURS = ("#CC6677", "#332288", "#DDCC77", "#117733", "#88CCEE", "#882255", "#44AA99", "#999933",
                "#AA4499")
TINT = 0.5


def region_colours(names: tuple[str, ...] = REGIONS, background: str | None = REGIONS[OUTSIDE]) -> dict[str, str]:
    """Each tinted region's colour (`names` in order, the `background` left out): what the figure draws and
    the page's legend names. The face regions and the grid cells have their own palettes."""
    tinted = [name for name in names if name != background]
    palette = GRID_COLOURS if tuple(names) == GRID_REGIONS else REGION_COLOURS
    return dict(zip(tinted, palette))


def plot_region_template(image: np.ndarray, region_map: np.ndarray, names: tuple[str, ...] = REGIONS,
                         background: str | None = REGIONS[OUTSIDE]) -> Grid:
    """The image | the same in gray with each region tinted and outlined in white; the `background` region
    is left untinted.

    `image` (H, W, C) or (H, W), shown min-max stretched (a mean image is low in contrast), in colour where
    it has colour; `region_map` (H, W) indices into `names`.
    """
    picture = rescale_each(np.asarray(image, dtype=np.float64)[None])[0]
    regions = np.asarray(region_map)
    colours = region_colours(names, background)
    palette = np.array([to_rgb(colours[name]) if name in colours else (1.0, 1.0, 1.0) for name in names])
    under = backdrop(picture)  # gray under the tints, as under every map
    inside = np.ones(regions.shape, bool) if background is None else regions != names.index(background)
    tinted = np.where(inside[..., None], (1 - TINT) * under + TINT * palette[regions], under)
    grid = compose([[rgb(picture), tinted]])
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
