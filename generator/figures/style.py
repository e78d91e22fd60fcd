"""How every figure looks, defined once: size and density, the attribution colour map, LIME's colours,
each line's style, and the colours the pages draw colour bars, legends and shaded tables with.

Figures carry no words: headers, legends and axis names are written in the page, in its language.
"""

from __future__ import annotations

from dataclasses import dataclass

import matplotlib
import numpy as np
from matplotlib.colors import LinearSegmentedColormap, to_hex, to_rgb

# Density: a page's column is 688 CSS px wide (Material at 1280-1440 px), its body text 16 px. Figures are
# drawn about twice as wide as they are shown, so they stay sharp on high-density screens.
COLUMN_PX = 688
BODY_PX = 16
FIGURE_PX = 1400              # a plot's width, and the least width of an image grid of four or more columns
MAX_SLOT_PX = 350             # an image grid's cell (with its margin) at most: shown at 175 CSS px
DPI = 200
PLOT_WIDTH = FIGURE_PX / DPI  # inches
# Text in a plot shown at the column's width is at least the body's size: 13 pt at 200 dpi is 36 px of
# 1400, 17.7 CSS px of 688.
FONT_PT = 13
LINE_WIDTH = 2.2
MARKER_SIZE = 7
MARKERS_PER_LINE = 8         # a long line marks every few points, each line from its own offset

ATTRIBUTION_CMAP = "inferno"  # perceptually uniform, lightness rising from black: readable without colour
OVERLAY_DIM = 0.55            # the image under an overlay is dimmed so the map's bright end stands out
OVERLAY_ALPHA = 0.9           # a map's opacity over the image at its value 1 (it scales with the value)

# LIME: (support, opposition). Okabe and Ito's blue and vermillion stay apart for every kind of colour
# blindness; green-red is the course report's pair.
LIME_COLOURS = {"cvd-safe": ("#0072B2", "#D55E00"), "green-red": ("#00CC00", "#E60000")}
NEUTRAL = "#F7F7F7"
TINT_ALPHA = 0.6              # a LIME tint's opacity at the largest |weight|

# Shaded tables: counts and shares from white to blue; correlations from vermillion through white to blue.
TABLE_HIGH = "#2166AC"
TABLE_BAR = "rgba(33, 102, 172, 0.3)"   # a bar behind a count: TABLE_HIGH, translucent


@dataclass(frozen=True)
class Series:
    """One line's look: colour, dash pattern (None: solid; lengths in line widths) and marker."""

    colour: str
    dashes: tuple[float, ...] | None = None
    marker: str | None = None

    @property
    def linestyle(self):
        return "-" if self.dashes is None else (0, self.dashes)


# Every line kind has its own dash and marker, so lines are told apart without colour (Okabe-Ito colours).
SERIES = {
    "saliency": Series("#0072B2", None, "o"),
    "smoothgrad": Series("#56B4E9", (4, 1.5), "s"),
    "gradcam": Series("#D55E00", None, "^"),
    "gradcam++": Series("#E69F00", (1, 1.2), "v"),
    "scorecam": Series("#009E73", (5, 1.5, 1, 1.5), "D"),
    "layercam": Series("#CC79A7", (2.5, 1.5), "x"),
    "lime": Series("#000000", None, "P"),
    "random": Series("#6E6E6E", (3, 2)),
    "train": Series("#0072B2", None, "o"),
    "validation": Series("#D55E00", (4, 1.5), "s"),
    "kept_epoch": Series("#6E6E6E", (1, 1.5)),
    "threshold": Series("#6E6E6E", (1, 1.5)),
}
FALLBACK_SERIES = tuple(Series(colour, dashes, marker) for colour, dashes, marker in (
    ("#0072B2", None, "o"), ("#D55E00", (4, 1.5), "s"), ("#009E73", (1, 1.2), "^"), ("#CC79A7", (5, 1.5, 1, 1.5), "D")))


def series(key: str, index: int = 0) -> Series:
    """The look of line `key`; a key without one (a test's stand-in method) gets a fallback by position."""
    return SERIES.get(key) or FALLBACK_SERIES[index % len(FALLBACK_SERIES)]


def attribution_colours(values: np.ndarray) -> np.ndarray:
    """(..., 3) RGB in [0, 1]: `values` in [0, 1] (clipped) through the shared attribution colour map."""
    lut = attribution_lut()
    index = np.round(np.clip(np.nan_to_num(np.asarray(values, dtype=np.float64)), 0.0, 1.0) * (len(lut) - 1))
    return lut[index.astype(np.int64)]


def attribution_lut() -> np.ndarray:
    """(256, 3) RGB: the shared attribution colour map, sampled at 256 levels."""
    return matplotlib.colormaps[ATTRIBUTION_CMAP](np.linspace(0.0, 1.0, 256))[:, :3]


def lime_pair(scheme: str) -> tuple[np.ndarray, np.ndarray]:
    """(support, opposition) RGB in [0, 1] of a LIME colour scheme."""
    support, oppose = LIME_COLOURS[scheme]
    return np.array(to_rgb(support)), np.array(to_rgb(oppose))


def diverging_colours(values: np.ndarray, scheme: str = "cvd-safe") -> np.ndarray:
    """(..., 3) RGB: `values` in [-1, 1] from the opposition colour through near-white to the support colour."""
    support, oppose = LIME_COLOURS[scheme]
    cmap = LinearSegmentedColormap.from_list(f"lime-{scheme}", [oppose, NEUTRAL, support], N=256)
    shifted = (np.clip(np.nan_to_num(np.asarray(values, dtype=np.float64)), -1.0, 1.0) + 1.0) / 2.0
    return np.asarray(cmap(np.round(shifted * 255).astype(np.int64)))[..., :3]


def css_gradient(kind: str = "attribution", steps: int = 11) -> str:
    """A CSS linear-gradient of the attribution map (0 to 1) or a LIME scheme (-1 to 1), left to right."""
    positions = np.linspace(0.0, 1.0, steps)
    colours = attribution_colours(positions) if kind == "attribution" else diverging_colours(2 * positions - 1, kind)
    stops = ", ".join(f"{to_hex(c)} {100 * p:.0f}%" for c, p in zip(colours, positions))
    return f"linear-gradient(to right, {stops})"


def cell_style(value, low: float = 0.0, high: float = 1.0, diverging: bool = False) -> str:
    """Inline CSS shading a table cell by `value` on [low, high], its text black or white, whichever reads
    better (never under WCAG's 4.5:1). Diverging: vermillion below the middle, blue above."""
    if value is None or not np.isfinite(value):
        return ""
    share = (float(value) - low) / (high - low) if high > low else 0.0
    share = min(max(share, 0.0), 1.0)
    if diverging:
        background = diverging_colours(np.array(2 * share - 1))
    else:
        background = (1 - share) * np.ones(3) + share * np.array(to_rgb(TABLE_HIGH))
    text = "#000000" if _contrast(background, np.zeros(3)) >= _contrast(background, np.ones(3)) else "#FFFFFF"
    return f"background-color: {to_hex(tuple(background))}; color: {text}"


def _contrast(a: np.ndarray, b: np.ndarray) -> float:
    """WCAG 2 contrast ratio of two RGB colours in [0, 1]."""
    light, dark = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def _luminance(rgb: np.ndarray) -> float:
    linear = np.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)
    return float(linear @ np.array([0.2126, 0.7152, 0.0722]))


# --- the legend swatch a page draws beside a line's name ---------------------------------------------

_SVG_MARKERS = {
    "o": '<circle cx="{x}" cy="{y}" r="4" fill="{c}"/>',
    "s": '<rect x="{x0}" y="{y0}" width="7" height="7" fill="{c}"/>',
    "^": '<polygon points="{x},{y_up} {x_left},{y_down} {x_right},{y_down}" fill="{c}"/>',
    "v": '<polygon points="{x},{y_down} {x_left},{y_up} {x_right},{y_up}" fill="{c}"/>',
    "D": '<polygon points="{x},{y_up} {x_right},{y} {x},{y_down} {x_left},{y}" fill="{c}"/>',
    "x": '<path d="M{x_left} {y_up}L{x_right} {y_down}M{x_left} {y_down}L{x_right} {y_up}" stroke="{c}" '
         'stroke-width="2"/>',
    "P": '<path d="M{x} {y_up}V{y_down}M{x_left} {y}H{x_right}" stroke="{c}" stroke-width="2.6"/>',
}


def svg_swatch(key: str) -> str:
    """An inline SVG sample of line `key` (colour, dashes, marker) for a legend in the page."""
    look = series(key)
    width, x, y = 40, 20, 7
    dash = "" if look.dashes is None else f' stroke-dasharray="{" ".join(f"{2 * d:g}" for d in look.dashes)}"'
    marker = "" if look.marker is None else _SVG_MARKERS[look.marker].format(
        x=x, y=y, x0=x - 3.5, y0=y - 3.5, y_up=y - 4.5, y_down=y + 4.5, x_left=x - 4.5, x_right=x + 4.5,
        c=look.colour)
    return (f'<svg class="fig-swatch" width="{width}" height="14" viewBox="0 0 {width} 14" aria-hidden="true">'
            f'<line x1="1" y1="{y}" x2="{width - 1}" y2="{y}" stroke="{look.colour}" stroke-width="2"{dash}/>'
            f"{marker}</svg>")


def bar_style(value: float, top: float) -> str:
    """Inline CSS drawing a bar behind a table cell's number: `value` as a share of `top`."""
    share = 100 * min(max(float(value) / top, 0.0), 1.0) if top > 0 else 0.0
    return f"background: linear-gradient(to right, {TABLE_BAR} {share:.1f}%, transparent {share:.1f}%)"
