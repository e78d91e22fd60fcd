"""Where one layer's feature maps fire on an image: the region each filter's response is
concentrated on, and whether stripe filters fire along edges of their own orientation.

The second is the course report's observation made measurable ("row 4, column 1 detects
lower-left to upper-right stripes, and its feature map lights up along such edges"): at
each stripe filter's strongest responses, the image's local edges (structure tensor,
analysis.filter_patterns.orientation_field) are compared with the filter's orientation and
with the same share over every position where the image has an edge.
"""

from __future__ import annotations

import numpy as np

from generator.analysis.filter_patterns import SECTOR, angular_distance, orientation_field
from generator.analysis.regions import describe_attribution

PEAK_SHARE = 0.1       # a filter's strongest responses: this share of its map's positions (at least 3)
EDGE_ENERGY = 0.5      # positions count as edges where the tensor energy is at least this x its median
MATCH_GAIN = 0.15      # the observation holds where the share at the peaks beats the baseline by this


def describe_feature_response(feature_maps, region_map, names: tuple[str, ...], top: int = 5,
                              columns: int | None = None) -> dict:
    """Which filters respond most to one image, and where.

    `feature_maps` (F, h, w) one layer's response; `region_map` (H, W) indices into `names`.
    Each map is resized (bilinear) to (H, W) and its positive part assigned to regions. Returns
    {"filters": F, "silent": filters with no positive response, "unplaced": responding filters
    whose response is over-represented on no region, "top": [{"index", ("row", "column"),
    "mean", "peak", "region": its named top region or None, "share", "area", "lift"}] for the
    `top` filters by mean activation, "by_region": {region: filters whose response is
    concentrated there}, "mean_all": the mean activation over every filter}.
    """
    maps = np.asarray(feature_maps, dtype=np.float64)
    regions = np.asarray(region_map)
    described = describe_attribution(resize(maps, regions.shape), regions, names)
    means = maps.reshape(len(maps), -1).mean(axis=1)
    peaks = maps.reshape(len(maps), -1).max(axis=1)
    order = np.argsort(-means, kind="stable")[:top]
    by_region = {name: sum(d.top == name for d in described) for name in names}
    return {
        "filters": len(maps),
        "silent": sum(d.images == 0 for d in described),
        "unplaced": sum(d.images > 0 and d.top is None for d in described),
        "top": [{"index": int(i), **_grid_position(int(i), columns),
                 "mean": round(float(means[i]), 4), "peak": round(float(peaks[i]), 4),
                 **_placed(described[i])} for i in order],
        "by_region": by_region,
        "mean_all": round(float(means.mean()), 4) if len(means) else 0.0,
    }


def describe_orientation_match(feature_maps, image, patterns: list[dict], columns: int | None = None) -> dict:
    """For each stripe filter (`patterns`: describe_filter_pattern facts with "index"): the share
    of its strongest responses that lie on edges within 22.5 degrees of its stripe orientation,
    against that share over all edge positions of `image` (H, W) or (H, W, C).

    Returns {"filters": [{"index", ("row", "column"), "orientation", "at_peaks", "baseline",
    "holds", "chance": the probability it holds for peaks placed on edges at random}], "holding":
    count, "checked": count, "chance_holding": the count expected by chance, "example": the filter
    where the peaks beat the baseline most (None without stripe filters)}.
    """
    maps = np.asarray(feature_maps, dtype=np.float64)
    gray = np.asarray(image, dtype=np.float64)
    gray = gray.mean(axis=-1) if gray.ndim == 3 else gray
    _, edges, energy = orientation_field(gray)
    h, w = maps.shape[1:]
    cell_edges, cell_energy = _per_cell(edges, energy, (h, w))
    is_edge = cell_energy >= EDGE_ENERGY * np.median(cell_energy)
    rows = []
    for facts in patterns:
        if facts["kind"] != "stripes":
            continue
        response = maps[facts["index"]]
        matches = angular_distance(cell_edges, facts["orientation"]) <= SECTOR
        peaks = _strongest(response) & is_edge
        at_peaks = float(matches[peaks].mean()) if peaks.any() else 0.0
        baseline = float(matches[is_edge].mean()) if is_edge.any() else 0.0
        rows.append({"index": facts["index"], **_grid_position(facts["index"], columns),
                     "orientation": facts["orientation"], "at_peaks": round(at_peaks, 4),
                     "baseline": round(baseline, 4), "holds": bool(at_peaks >= baseline + MATCH_GAIN),
                     "chance": round(_chance_of_holding(int(is_edge.sum()), int(matches[is_edge].sum()),
                                                        int(peaks.sum())), 4)})
    best = max(rows, key=lambda r: r["at_peaks"] - r["baseline"], default=None)
    return {"filters": rows, "holding": sum(r["holds"] for r in rows), "checked": len(rows),
            "chance_holding": round(sum(r["chance"] for r in rows), 1),
            "example": None if best is None else best["index"]}


def _chance_of_holding(edges: int, matching: int, peaks: int) -> float:
    """The probability that `peaks` edge positions drawn at random from `edges`, of which `matching`
    lie along the filter's orientation, hold at least MATCH_GAIN more matching ones than all edges
    (hypergeometric): how often the observation would hold by chance."""
    from scipy.stats import hypergeom

    if not peaks or not edges:
        return 0.0
    needed = int(np.ceil((matching / edges + MATCH_GAIN) * peaks - 1e-9))
    return float(hypergeom.sf(needed - 1, edges, matching, peaks))


def _strongest(response: np.ndarray) -> np.ndarray:
    """The top PEAK_SHARE of the positions (at least 3) where the response is positive."""
    count = max(3, int(round(PEAK_SHARE * response.size)))
    threshold = np.sort(response.ravel())[-count]
    return (response >= threshold) & (response > 0)


def _per_cell(edges: np.ndarray, energy: np.ndarray, shape: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """The image's edge orientation and energy averaged over the block of pixels behind each
    feature-map cell (orientations averaged as doubled angles, weighted by energy). A grid finer
    than the image (a model input larger than the data) takes each pixel for several cells."""
    repeat = (-(-shape[0] // edges.shape[0]), -(-shape[1] // edges.shape[1]))
    edges, energy = (np.repeat(np.repeat(a, repeat[0], axis=0), repeat[1], axis=1) for a in (edges, energy))
    rows = np.array_split(np.arange(edges.shape[0]), shape[0])
    cols = np.array_split(np.arange(edges.shape[1]), shape[1])
    angle = np.zeros(shape)
    total = np.zeros(shape)
    for i, r in enumerate(rows):
        for j, c in enumerate(cols):
            block, weight = edges[np.ix_(r, c)], energy[np.ix_(r, c)]
            vector = np.sum(weight * np.exp(2j * np.radians(block)))
            angle[i, j] = np.degrees(np.angle(vector)) / 2 % 180.0
            total[i, j] = weight.mean()
    return angle, total


def _placed(facts) -> dict:
    top = facts.top
    return {"region": top, "share": None if top is None else facts.shares[top],
            "area": None if top is None else facts.area[top], "lift": None if top is None else facts.lift[top]}


def resize(maps: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """(F, h, w) -> (F, H, W) by bilinear interpolation at pixel centres (edges clamped)."""
    h, w = maps.shape[1:]
    if (h, w) == tuple(shape):
        return maps
    return _interpolation_matrix(h, shape[0]) @ maps @ _interpolation_matrix(w, shape[1]).T


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


def _grid_position(index: int, columns: int | None) -> dict:
    return {} if columns is None else {"row": index // columns + 1, "column": index % columns + 1}
