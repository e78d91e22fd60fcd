"""What filter patterns are: stripes (with orientation and period), dots or checkerboards, curves, or
unstructured, measured on each pattern.

The kind is read from the pattern's local structure (structure tensor, integration scale
TENSOR_SIGMA px): its `coherence` (energy-weighted mean of (l1 - l2) / (l1 + l2): 1 where
every neighbourhood has one orientation) and its `consistency` (how much the local
orientations agree across the whole pattern, 1 = all the same), and from its
`periodicity` (the normalised autocorrelation at the best lag in a second direction, at least
30 degrees from the best one). Coherent and consistent: stripes; coherent but bending:
curves; incoherent but periodic in two directions: dots or a checkerboard (a "lattice");
otherwise unstructured. On synthetic patterns (tests/test_filter_patterns.py) stripes give
coherence and consistency 1.0; checkerboards and dot lattices coherence under 0.1 and
periodicity 1.0; circles and arcs coherence over 0.9 and consistency under 0.8; white noise
and noise blurred up to 1.5 px coherence under 0.6 and periodicity under 0.25 (noise blurred
more, 2 px and over, can repeat by chance and read as a lattice).

Orientation is that of the stripes (not of the wave vector), in degrees in [0, 180), counted
anticlockwise as the image is seen: 0 = horizontal stripes, 45 = stripes running from lower
left to upper right ("diagonal-up"), 90 = vertical, 135 = upper left to lower right
("diagonal-down"). It is read from the 2-D power spectrum of the pattern (mean removed, Hann
window): the orientation whose +-22.5 degree sector holds the most spectral energy.
"""

from __future__ import annotations

from functools import cache

import numpy as np
from scipy import ndimage

SECTOR = 22.5              # half-width (degrees) of the orientation sector
TENSOR_SIGMA = 2.0         # px: the neighbourhood the structure tensor averages over
COHERENT = 0.8             # coherence from which a pattern is made of oriented strokes
CONSISTENT = 0.9           # consistency from which those strokes run one way (stripes)
PERIODIC = 0.25            # periodicity from which an incoherent pattern repeats in two directions
# A pattern is "flat" (saturated or blank: nothing to read) when the spread between its 5th
# and 95th percentiles is below this share of the input's value range.
FLAT_SPREAD = 0.02
KINDS = ("stripes", "lattice", "curves", "unstructured", "flat")
ORIENTATION_CLASSES = ("horizontal", "diagonal-up", "vertical", "diagonal-down")
CENTRES = {"horizontal": 0.0, "diagonal-up": 45.0, "vertical": 90.0, "diagonal-down": 135.0}
# Frequency bands by stripe period in pixels: fine < 4 <= medium < 8 <= coarse.
BAND_EDGES = (4.0, 8.0)
BANDS = ("fine", "medium", "coarse")


def describe_filter_pattern(pattern, value_range: float = 1.0) -> dict:
    """The kind of one filter pattern (H, W) or (H, W, C) (channels averaged) and its numbers.

    Returns {"kind": one of KINDS, "coherence", "consistency", "periodicity" (see the module),
    "orientation": stripe orientation in degrees, "orientation_class": the nearest of
    ORIENTATION_CLASSES, "orientedness": share of spectral energy within +-22.5 degrees of it,
    "period": pixels per cycle across the stripes, "band": one of BANDS}; orientation, its
    class, period and band are None unless the kind is stripes. A flat pattern (see
    FLAT_SPREAD; `value_range` is the span of the model's input range) has kind "flat".
    """
    image = np.asarray(pattern, dtype=np.float64)
    low, high = np.percentile(image, [5, 95])
    image = image.mean(axis=-1) if image.ndim == 3 else image
    none = {"orientation": None, "orientation_class": None, "orientedness": None, "period": None, "band": None}
    if high - low < FLAT_SPREAD * value_range or np.ptp(image) == 0:
        return {"kind": "flat", "coherence": 0.0, "consistency": 0.0, "periodicity": 0.0, **none}
    coherence, consistency = structure(image)
    periodicity = two_way_periodicity(image)
    kind = pattern_kind(coherence, consistency, periodicity)
    facts = {"kind": kind, "coherence": round(coherence, 4), "consistency": round(consistency, 4),
             "periodicity": round(periodicity, 4)}
    if kind != "stripes":
        return {**facts, **none}
    orientation, orientedness, period = _spectral_stripes(image)
    return {**facts, "orientation": round(orientation, 1) % 180.0, "orientation_class": orientation_class(orientation),
            "orientedness": round(orientedness, 4), "period": round(period, 2), "band": frequency_band(period)}


def pattern_kind(coherence: float, consistency: float, periodicity: float) -> str:
    """The kind a pattern's three measures give (see the module)."""
    if coherence >= COHERENT:
        return "stripes" if consistency >= CONSISTENT else "curves"
    return "lattice" if periodicity >= PERIODIC else "unstructured"


def structure(image: np.ndarray) -> tuple[float, float]:
    """(coherence, consistency) of an (H, W) image's structure tensor (see the module); the
    outer TENSOR_SIGMA x 2 pixels are left out, where the filters blur the borders."""
    coherence, angle, energy = orientation_field(image)
    margin = int(2 * TENSOR_SIGMA)
    inner = (slice(margin, -margin), slice(margin, -margin))
    weight, coherent = energy[inner], energy[inner] * coherence[inner]
    if weight.sum() <= 0:
        return 0.0, 0.0
    mean_coherence = float(coherent.sum() / weight.sum())
    agreement = np.abs(np.sum(coherent * np.exp(2j * np.radians(angle[inner])))) / max(coherent.sum(), 1e-12)
    return mean_coherence, float(agreement)


def orientation_field(image: np.ndarray, sigma: float = TENSOR_SIGMA) -> tuple[np.ndarray, ...]:
    """Per pixel of an (H, W) image: coherence in [0, 1], the local edge orientation in degrees
    (the module's convention: 0 = a horizontal edge or stripe) and the tensor's energy."""
    span = np.ptp(image)
    smooth = ndimage.gaussian_filter((image - image.min()) / (span if span > 0 else 1.0), 0.7)
    gy, gx = ndimage.sobel(smooth, 0), ndimage.sobel(smooth, 1)
    jxx, jyy, jxy = (ndimage.gaussian_filter(g, sigma) for g in (gx * gx, gy * gy, gx * gy))
    energy = jxx + jyy
    spread = np.sqrt((jxx - jyy) ** 2 + 4 * jxy ** 2)
    coherence = np.divide(spread, energy, out=np.zeros_like(energy), where=energy > 1e-12)
    gradient = np.degrees(0.5 * np.arctan2(-2 * jxy, jxx - jyy))     # y up, as the image is seen
    return coherence, (gradient + 90.0) % 180.0, energy


def two_way_periodicity(image: np.ndarray) -> float:
    """The normalised autocorrelation at its best peak at least 30 degrees from the best peak's
    direction: high only for patterns repeating two ways. Peaks count from twice the central
    lobe's half-width at half maximum (and 2.5 px) up to half the size, so the broad lobe of a
    smooth pattern is not taken for repetition."""
    x = image - image.mean()
    h, w = x.shape

    def correlate(a):
        spectrum = np.fft.fft2(a, s=(2 * h, 2 * w))
        return np.fft.fftshift(np.fft.ifft2(np.abs(spectrum) ** 2).real)

    correlation = correlate(x) / np.maximum(correlate(np.ones_like(x)), 1.0)
    correlation /= correlation[h, w]
    dy, dx = np.mgrid[-h:h, -w:w]
    radius = np.hypot(dy, dx)
    rings = np.round(radius).astype(int).ravel()
    shells = np.bincount(rings, correlation.ravel()) / np.maximum(np.bincount(rings), 1)
    half_width = int(np.argmax(shells < 0.5)) if np.any(shells < 0.5) else min(h, w)
    candidate = ((radius >= max(2.5, 2 * half_width)) & (radius <= min(h, w) / 2)
                 & ((dy > 0) | ((dy == 0) & (dx > 0))))
    peaks = candidate & (correlation == ndimage.maximum_filter(correlation, 3))
    order = np.argsort(-correlation[peaks])
    values, lags = correlation[peaks][order], np.stack([dy[peaks], dx[peaks]], 1)[order]
    if not len(values):
        return 0.0
    first = lags[0] / np.linalg.norm(lags[0])
    for value, lag in zip(values[1:], lags[1:]):
        if abs(np.dot(lag, first)) / np.linalg.norm(lag) < np.cos(np.radians(30)):
            return float(max(value, 0.0))
    return 0.0


def _spectral_stripes(image: np.ndarray) -> tuple[float, float, float]:
    """(orientation, orientedness, period) of stripes from the power spectrum."""
    power = _power(image)
    angle, radius, inside = _geometry(*image.shape)
    energy = inside @ power
    best = int(np.argmax(energy))
    sector = inside[best] > 0
    orientation = _axial_mean(angle[sector], power[sector])
    frequency = float(np.sum(power[sector] * radius[sector]) / np.sum(power[sector]))
    return orientation, float(energy[best] / power.sum()), 1.0 / frequency


def orientation_class(degrees: float) -> str:
    """The class of a stripe orientation: the nearest of 0, 45, 90, 135 degrees (CENTRES)."""
    return ORIENTATION_CLASSES[int(((degrees + SECTOR) % 180.0) // 45.0)]


def frequency_band(period: float) -> str:
    """"fine", "medium" or "coarse" for a stripe period in pixels (see BAND_EDGES)."""
    return BANDS[int(np.searchsorted(BAND_EDGES, period, side="right"))]


def _power(image: np.ndarray) -> np.ndarray:
    """Power of each frequency bin kept by `_kept_bins`, after removing the mean and a Hann window."""
    image = np.nan_to_num(image - image.mean())
    h, w = image.shape
    power = np.abs(np.fft.rfft2(image * np.outer(np.hanning(h), np.hanning(w)))) ** 2
    return power[_kept_bins(h, w)]


@cache
def _kept_bins(h: int, w: int) -> np.ndarray:
    """Bins of rfft2 (fx >= 0) holding one of each +-f pair, without the zero frequency."""
    fy, fx = _frequencies(h, w)
    keep = (fx > 0) | (fy > 0)
    if w % 2 == 0:                                        # the Nyquist column holds both signs
        keep &= ~((fx == fx.max()) & (fy < 0))
    keep.flags.writeable = False
    return keep


def _frequencies(h: int, w: int) -> tuple[np.ndarray, np.ndarray]:
    """Cycles per pixel down the rows (fy) and across the columns (fx) of each rfft2 bin."""
    fy, fx = np.broadcast_arrays(np.fft.fftfreq(h)[:, None], np.fft.rfftfreq(w)[None, :])
    return fy, fx


@cache
def _geometry(h: int, w: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Stripe orientation (degrees) and radial frequency (cycles/pixel) of each kept bin, and
    (180, bins) which bins lie within SECTOR of each whole-degree orientation."""
    fy, fx = (f[_kept_bins(h, w)] for f in _frequencies(h, w))
    wave = np.degrees(np.arctan2(-fy, fx))                # wave vector, y pointing up
    stripes = (wave + 90.0) % 180.0
    inside = (angular_distance(stripes[None, :], np.arange(180.0)[:, None]) <= SECTOR).astype(np.float64)
    out = (stripes, np.hypot(fx, fy), inside)
    for array in out:
        array.flags.writeable = False
    return out


def angular_distance(a, b) -> np.ndarray:
    """Distance in degrees between orientations (period 180)."""
    d = np.abs(a - b) % 180.0
    return np.minimum(d, 180.0 - d)


def _axial_mean(angles: np.ndarray, weights: np.ndarray) -> float:
    """Weighted mean of orientations (period 180), in [0, 180)."""
    doubled = np.radians(2.0 * angles)
    mean = np.arctan2(np.sum(weights * np.sin(doubled)), np.sum(weights * np.cos(doubled)))
    return float(np.degrees(mean) / 2.0 % 180.0)


def describe_filter_groups(patterns, dead=None, columns: int | None = None, value_range: float = 1.0) -> dict:
    """What the filters of a layer are, counted for "12 of 64 filters ...".

    `patterns` (F, H, W) or (F, H, W, C); `dead` (F,) bool marks filters left out (their
    patterns mean nothing). `columns`: the grid width, to give each filter's 1-based row and
    column as drawn; `value_range` as in describe_filter_pattern. Returns {"filters": F,
    "described": F - dead, "dead": [indices], "by_kind": {kind: count}, "kinds": {kind:
    [indices]}, "typical": {kind: its most typical filter (the one nearest the kind's median
    coherence, consistency and periodicity) or None}, "stripes": {"by_orientation": {class:
    count}, "by_band": {band: count}, "members": {class: [indices]}, "typical": {class: the
    member nearest the class's centre angle and the members' median period, or None},
    "largest_group": the class with most members, or None}, "patterns": [{"index", ("row",
    "column"), **describe_filter_pattern}] of the described filters}.
    """
    patterns = np.asarray(patterns)
    dead = np.zeros(len(patterns), bool) if dead is None else np.asarray(dead, bool)
    facts = [{"index": i, **_grid_position(i, columns), **describe_filter_pattern(pattern, value_range)}
             for i, pattern in enumerate(patterns) if not dead[i]]
    kinds = {kind: [f for f in facts if f["kind"] == kind] for kind in KINDS}
    stripes = {c: [f for f in kinds["stripes"] if f["orientation_class"] == c] for c in ORIENTATION_CLASSES}
    largest = max((c for c in ORIENTATION_CLASSES if stripes[c]), key=lambda c: len(stripes[c]), default=None)
    return {
        "filters": len(patterns),
        "described": len(facts),
        "dead": [int(i) for i in np.flatnonzero(dead)],
        "by_kind": {kind: len(members) for kind, members in kinds.items()},
        "kinds": {kind: [f["index"] for f in members] for kind, members in kinds.items()},
        "typical": {kind: _typical_kind_member(members) for kind, members in kinds.items()},
        "stripes": {
            "by_orientation": {c: len(stripes[c]) for c in ORIENTATION_CLASSES},
            "by_band": {b: sum(f["band"] == b for f in kinds["stripes"]) for b in BANDS},
            "members": {c: [f["index"] for f in stripes[c]] for c in ORIENTATION_CLASSES},
            "typical": {c: _typical_stripe(stripes[c], CENTRES[c]) for c in ORIENTATION_CLASSES},
            "largest_group": largest,
        },
        "patterns": facts,
    }


def _typical_kind_member(members: list[dict]) -> int | None:
    """The member nearest the members' median coherence, consistency and periodicity."""
    if not members:
        return None
    keys = ("coherence", "consistency", "periodicity")
    median = {k: float(np.median([m[k] for m in members])) for k in keys}
    return min(members, key=lambda m: sum(abs(m[k] - median[k]) for k in keys))["index"]


def _typical_stripe(members: list[dict], centre: float) -> int | None:
    """The member nearest its class's centre angle (in units of the 22.5 degree sector) and
    the members' median period (in log2 units)."""
    if not members:
        return None
    period = float(np.median([m["period"] for m in members]))
    return min(members, key=lambda m: float(angular_distance(m["orientation"], centre)) / SECTOR
               + abs(np.log2(m["period"] / period)))["index"]


def _grid_position(index: int, columns: int | None) -> dict:
    return {} if columns is None else {"row": index // columns + 1, "column": index % columns + 1}
