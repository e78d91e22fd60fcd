"""What filters detect: stripe orientation and density of filter patterns, and where feature maps fire.

Orientation is that of the stripes (not of the wave vector), in degrees in [0, 180), counted
anticlockwise as the image is seen: 0 = horizontal stripes, 45 = stripes running from lower
left to upper right ("diagonal-up"), 90 = vertical, 135 = upper left to lower right
("diagonal-down"). It is read from the 2-D power spectrum of the pattern (mean removed, Hann
window): the orientation whose +-22.5 degree sector holds the most spectral energy.
"""

from __future__ import annotations

from functools import cache

import numpy as np

from generator.analysis.regions import describe_attribution
from generator.vocabulary import REGIONS

SECTOR = 22.5              # half-width (degrees) of the orientation sector
# Oriented when the best sector holds at least this share of the energy. An isotropic pattern
# puts 45/180 = 0.25 in any sector; on 48 x 48 white noise the best sector holds about 0.32
# (at most 0.38 in 200 draws), on noise blurred with sigma 1 px 0.35 (95th percentile 0.42).
ORIENTED_THRESHOLD = 0.5
# A pattern is "flat" (saturated or blank: nothing to read) when the spread between its 5th
# and 95th percentiles is below this share of the input's value range.
FLAT_SPREAD = 0.02
ORIENTATION_CLASSES = ("horizontal", "diagonal-up", "vertical", "diagonal-down", "unoriented", "flat")
# Frequency bands by stripe period in pixels: fine < 4 <= medium < 8 <= coarse.
BAND_EDGES = (4.0, 8.0)
BANDS = ("fine", "medium", "coarse")


def describe_filter_pattern(pattern, value_range: float = 1.0) -> dict:
    """Orientation and stripe density of one filter pattern (H, W) or (H, W, C) (channels averaged).

    Returns {"orientation": degrees or None, "orientedness": share of spectral energy within
    +-22.5 degrees of it, "oriented": orientedness >= ORIENTED_THRESHOLD, "orientation_class":
    one of ORIENTATION_CLASSES ("unoriented" when not oriented), "frequency": cycles per pixel
    across the stripes, "period": pixels per cycle, "band": one of BANDS}. A flat pattern (see
    FLAT_SPREAD; `value_range` is the span of the model's input range) has class "flat",
    orientedness 0 and None for the rest.
    """
    image = np.asarray(pattern, dtype=np.float64)
    low, high = np.percentile(image, [5, 95])
    image = image.mean(axis=-1) if image.ndim == 3 else image
    power = _power(image)
    total = power.sum()
    if total <= 0 or high - low < FLAT_SPREAD * value_range:
        return {"orientation": None, "orientedness": 0.0, "oriented": False,
                "orientation_class": "flat", "frequency": None, "period": None, "band": None}
    angle, radius, inside = _geometry(*image.shape)
    energy = inside @ power
    best = int(np.argmax(energy))
    sector = inside[best] > 0
    orientation = _axial_mean(angle[sector], power[sector])
    orientedness = float(energy[best] / total)
    frequency = float(np.sum(power[sector] * radius[sector]) / np.sum(power[sector]))
    oriented = orientedness >= ORIENTED_THRESHOLD
    return {
        "orientation": round(orientation, 1) % 180.0,
        "orientedness": round(orientedness, 4),
        "oriented": bool(oriented),
        "orientation_class": orientation_class(orientation) if oriented else "unoriented",
        "frequency": round(frequency, 4),
        "period": round(1.0 / frequency, 2),
        "band": frequency_band(1.0 / frequency),
    }


def orientation_class(degrees: float) -> str:
    """The class of a stripe orientation: the nearest of 0, 45, 90, 135 degrees."""
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
    inside = (_angular_distance(stripes[None, :], np.arange(180.0)[:, None]) <= SECTOR).astype(np.float64)
    out = (stripes, np.hypot(fx, fy), inside)
    for array in out:
        array.flags.writeable = False
    return out


def _angular_distance(a, b) -> np.ndarray:
    """Distance in degrees between orientations (period 180)."""
    d = np.abs(a - b) % 180.0
    return np.minimum(d, 180.0 - d)


def _axial_mean(angles: np.ndarray, weights: np.ndarray) -> float:
    """Weighted mean of orientations (period 180), in [0, 180)."""
    doubled = np.radians(2.0 * angles)
    mean = np.arctan2(np.sum(weights * np.sin(doubled)), np.sum(weights * np.cos(doubled)))
    return float(np.degrees(mean) / 2.0 % 180.0)


def describe_filter_groups(patterns, dead=None, columns: int | None = None, value_range: float = 1.0) -> dict:
    """Counts of filters by orientation class and frequency band, for "12 of 64 filters ...".

    `patterns` (F, H, W) or (F, H, W, C); `dead` (F,) bool marks filters left out (their
    patterns mean nothing). `columns`: the grid width, to give each filter's 1-based row and
    column as drawn; `value_range` as in describe_filter_pattern. Returns {"filters": F,
    "described": F - dead, "dead": [indices], "oriented": count, "by_orientation": {class:
    count}, "by_band": {band: count}, "members": {class: [indices]}, "clearest": {oriented
    class: index of its most oriented filter, or None}, "largest_oriented_group": the oriented
    class with most filters (None if none), "patterns": [{"index", ("row", "column"),
    **describe_filter_pattern}] of the described filters}.
    """
    patterns = np.asarray(patterns)
    dead = np.zeros(len(patterns), bool) if dead is None else np.asarray(dead, bool)
    facts = []
    for i, pattern in enumerate(patterns):
        if not dead[i]:
            facts.append({"index": i, **_grid_position(i, columns), **describe_filter_pattern(pattern, value_range)})
    members = {c: [f["index"] for f in facts if f["orientation_class"] == c] for c in ORIENTATION_CLASSES}
    clearest = {}
    for c in ORIENTATION_CLASSES[:4]:
        group = [f for f in facts if f["orientation_class"] == c]
        clearest[c] = max(group, key=lambda f: f["orientedness"])["index"] if group else None
    oriented = [c for c in ORIENTATION_CLASSES[:4] if members[c]]
    return {
        "filters": len(patterns),
        "described": len(facts),
        "dead": [int(i) for i in np.flatnonzero(dead)],
        "oriented": sum(f["oriented"] for f in facts),
        "by_orientation": {c: len(members[c]) for c in ORIENTATION_CLASSES},
        "by_band": {b: sum(f["band"] == b for f in facts) for b in BANDS},
        "members": members,
        "clearest": clearest,
        "largest_oriented_group": max(oriented, key=lambda c: len(members[c])) if oriented else None,
        "patterns": facts,
    }


def _grid_position(index: int, columns: int | None) -> dict:
    return {} if columns is None else {"row": index // columns + 1, "column": index % columns + 1}


def describe_feature_response(feature_maps, region_map, top: int = 5, columns: int | None = None) -> dict:
    """Which filters respond most to one image, and where on the face.

    `feature_maps` (F, h, w) one layer's response; `region_map` (H, W) REGIONS indices of the
    image. Each map is resized (bilinear) to (H, W) and its positive part assigned to regions.
    Returns {"filters": F, "silent": count of filters with no positive response, "top":
    [{"index", ("row", "column"), "mean": mean activation, "peak": max activation, "region":
    region holding most of its positive activation (None if silent), "share": that share}]
    for the `top` filters by mean activation, "by_region": {region: number of responding
    filters whose activation lies mostly there}}.
    """
    maps = np.asarray(feature_maps, dtype=np.float64)
    regions = np.asarray(region_map)
    resized = _resize(maps, regions.shape)
    described = describe_attribution(resized, regions, top_k=1)
    means = maps.reshape(len(maps), -1).mean(axis=1)
    peaks = maps.reshape(len(maps), -1).max(axis=1)
    order = np.argsort(-means, kind="stable")[:top]
    by_region = {name: 0 for name in REGIONS}
    for d in described:
        if d.top is not None:
            by_region[d.top] += 1
    return {
        "filters": len(maps),
        "silent": sum(d.top is None for d in described),
        "top": [{"index": int(i), **_grid_position(int(i), columns),
                 "mean": round(float(means[i]), 4), "peak": round(float(peaks[i]), 4),
                 "region": described[i].top,
                 "share": described[i].shares[described[i].top] if described[i].top else 0.0}
                for i in order],
        "by_region": by_region,
    }


def _resize(maps: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """(F, h, w) -> (F, H, W) by bilinear interpolation at pixel centres (edges clamped)."""
    h, w = maps.shape[1:]
    H, W = shape
    if (h, w) == (H, W):
        return maps
    rows = _interpolation_matrix(h, H)
    cols = _interpolation_matrix(w, W)
    return rows @ maps @ cols.T


def _interpolation_matrix(n: int, m: int) -> np.ndarray:
    """(m, n) linear interpolation from n samples to m, aligning pixel centres."""
    pos = np.clip((np.arange(m) + 0.5) * n / m - 0.5, 0, n - 1)
    low = np.floor(pos).astype(int)
    high = np.minimum(low + 1, n - 1)
    frac = pos - low
    out = np.zeros((m, n))
    out[np.arange(m), low] += 1 - frac
    out[np.arange(m), high] += frac
    return out
