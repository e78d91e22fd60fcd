"""Face regions: the template for real faces, and where attribution mass falls among the regions."""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from generator.vocabulary import OUTSIDE, REGIONS

FACE_REGIONS = REGIONS[:OUTSIDE]
# A region leads the next "clearly" by at least this difference of mean shares, "slightly" by
# at least SLIGHT_MARGIN; below it the two hold about even shares.
CLEAR_MARGIN = 0.15
SLIGHT_MARGIN = 0.05


def _on48(x0: int, y0: int, x1: int, y1: int) -> tuple[float, float, float, float]:
    """A box drawn in pixels of the 48 x 48 grid, as fractions of the image."""
    return (x0 / 48, y0 / 48, x1 / 48, y1 / 48)


# Regions of an aligned, centred 48 x 48 face (FER2013), fitted over the dataset's mean face.
# Each box is [x0, y0, x1, y1]: fractions of the width (x, from the left) and height (y, from
# the top). A pixel belongs to a box when its centre does. Where boxes overlap, the smaller box
# wins (the nose column cuts through the eye and cheek bands, the mouth through the cheeks);
# equal areas fall back to REGIONS order, later first. Pixels in no box are `outside`.
DEFAULT_TEMPLATE: dict[str, tuple[float, float, float, float]] = {
    "forehead": _on48(8, 0, 40, 10),
    "brows": _on48(6, 10, 42, 14),
    "eyes": _on48(6, 14, 42, 21),
    "nose": _on48(19, 14, 29, 32),
    "cheeks": _on48(4, 21, 44, 41),
    "mouth": _on48(13, 33, 35, 42),
    "chin": _on48(10, 42, 38, 48),
}


def template_region_map(size: int | tuple[int, int] = (48, 48), boxes: dict | None = None) -> np.ndarray:
    """(H, W) uint8 region indices (vocabulary.REGIONS) of the face template at `size` (H, W) or H.

    `boxes` (the config key `regions`, checked there) replaces the default box of each region
    it names; the other regions keep theirs. See DEFAULT_TEMPLATE for the box convention.
    """
    height, width = (int(size), int(size)) if isinstance(size, (int, np.integer)) else (int(size[0]), int(size[1]))
    template = {**DEFAULT_TEMPLATE, **{name: tuple(box) for name, box in (boxes or {}).items()}}
    ys = (np.arange(height) + 0.5) / height
    xs = (np.arange(width) + 0.5) / width
    out = np.full((height, width), OUTSIDE, dtype=np.uint8)
    # Largest first so smaller boxes are painted over it; ties: later in REGIONS wins.
    order = sorted(template, key=lambda n: (-_area(template[n]), REGIONS.index(n)))
    for name in order:
        x0, y0, x1, y1 = template[name]
        rows = (ys >= y0) & (ys < y1)
        cols = (xs >= x0) & (xs < x1)
        out[np.ix_(rows, cols)] = REGIONS.index(name)
    return out


def _area(box) -> float:
    return (box[2] - box[0]) * (box[3] - box[1])


# --- attribution shares -----------------------------------------------------------------------

@dataclass(frozen=True)
class RegionShares:
    """Where one image's (or one class's) positive attribution mass lies among the REGIONS.

    `shares`: each region's share of the positive mass (they sum to 1; all 0 for a map with
    no positive mass). `area`: each region's share of the image's pixels. `density`: share /
    area, 1 meaning "as much as its size predicts" (None for a region absent from the image).
    `top` / `top_by_density`: the region with the largest share / density (None without mass;
    ties go to the first in REGIONS order). `ranking` / `ranking_by_density`: up to k regions
    with positive share, best first. `images`: how many maps with positive mass went in.
    Floats are rounded to 4 decimals.
    """

    shares: dict[str, float]
    area: dict[str, float]
    density: dict[str, float | None]
    top: str | None
    top_by_density: str | None
    ranking: list[str]
    ranking_by_density: list[str]
    images: int

    def as_dict(self) -> dict:
        return asdict(self)


def describe_attribution(maps, region_maps, top_k: int = 3) -> list[RegionShares]:
    """Per image, the regions holding its positive attribution mass.

    `maps` (N, H, W) (or (N, H, W, 1)); negative values are ignored. `region_maps` (N, H, W)
    uint8 REGIONS indices, or one (H, W) map (a template) used for every image.
    """
    mass, pixels = _region_sums(maps, region_maps)
    return [_shares(m[None], p[None], top_k) for m, p in zip(mass, pixels)]


def describe_attribution_mean(maps, region_maps, top_k: int = 3) -> RegionShares:
    """The regions of a group of images (one class): the mean of their per-image shares.

    Maps without positive mass are left out of the mean. Density is the mean share divided
    by the mean area of each region over the images.
    """
    mass, pixels = _region_sums(maps, region_maps)
    return _shares(mass, pixels, top_k)


def summarise_classes(by_class: dict) -> dict:
    """Over the classes' region facts ({class: RegionShares.as_dict()}): the mean share and
    density of each region, the regions ranked by share, and how clearly the first leads.

    `margin` is the first region's mean share minus the second's; `reliance` puts it in
    words: "clear" (at least CLEAR_MARGIN), "slight" (at least SLIGHT_MARGIN) or "even".
    `classes_by_top` counts the classes whose top region each region is.
    """
    described = [facts for facts in by_class.values() if facts["top"] is not None]
    if not described:
        return {"shares": {}, "density": {}, "ranking": [], "top": None, "margin": 0.0, "reliance": None,
                "top_by_density": None, "classes_by_top": {}}
    shares = {r: round(float(np.mean([f["shares"][r] for f in described])), 4) for r in REGIONS}
    density = {r: _mean_of_known([f["density"][r] for f in described]) for r in REGIONS}
    ranking = sorted((r for r in REGIONS if shares[r] > 0), key=lambda r: (-shares[r], REGIONS.index(r)))
    known = {r: value for r, value in density.items() if value}
    dense = sorted(known, key=lambda r: (-known[r], REGIONS.index(r)))
    tops = [f["top"] for f in described]
    second = shares[ranking[1]] if len(ranking) > 1 else 0.0
    margin = round(shares[ranking[0]] - second, 4)
    return {"shares": shares, "density": density, "ranking": ranking[:3], "top": ranking[0],
            "margin": margin, "reliance": reliance(margin), "top_by_density": dense[0] if dense else None,
            "classes_by_top": {r: tops.count(r) for r in REGIONS if r in tops}}


def reliance(margin: float) -> str:
    """How clearly one region leads the next by `margin` (a difference of mean shares)."""
    return "clear" if margin >= CLEAR_MARGIN else "slight" if margin >= SLIGHT_MARGIN else "even"


def _mean_of_known(values) -> float | None:
    present = [v for v in values if v is not None]
    return round(float(np.mean(present)), 4) if present else None


def _region_sums(maps, region_maps) -> tuple[np.ndarray, np.ndarray]:
    """(N, R) positive attribution mass and (N, R) pixel count of each region in each image."""
    maps = _as_stack(maps, "maps")
    regions = np.asarray(region_maps)
    if regions.ndim == 2:
        regions = np.broadcast_to(regions, maps.shape)
    if regions.shape != maps.shape:
        raise ValueError(f"region maps {regions.shape} do not match attribution maps {maps.shape}")
    if regions.size and regions.max() >= len(REGIONS):
        raise ValueError(f"region index {int(regions.max())} is not in REGIONS")
    n, r = len(maps), len(REGIONS)
    index = (np.arange(n)[:, None, None] * r + regions).reshape(-1)
    positive = np.maximum(maps, 0).reshape(-1)
    mass = np.bincount(index, weights=positive, minlength=n * r).reshape(n, r)
    pixels = np.bincount(index, minlength=n * r).reshape(n, r)
    return mass, pixels


def _as_stack(maps, name: str) -> np.ndarray:
    maps = np.asarray(maps, dtype=np.float64)
    if maps.ndim == 4 and maps.shape[-1] == 1:
        maps = maps[..., 0]
    if maps.ndim != 3:
        raise ValueError(f"{name} must be (N, H, W), got shape {maps.shape}")
    return np.nan_to_num(maps, nan=0.0, posinf=0.0, neginf=0.0)


def _shares(mass: np.ndarray, pixels: np.ndarray, top_k: int) -> RegionShares:
    """Mean shares over the rows of `mass` that have positive mass, and their density."""
    totals = mass.sum(axis=1)
    used = totals > 0
    share = (mass[used] / totals[used, None]).mean(axis=0) if used.any() else np.zeros(len(REGIONS))
    area = (pixels / pixels.sum(axis=1, keepdims=True)).mean(axis=0)
    present = area > 0
    density = np.divide(share, area, out=np.zeros_like(share), where=present)
    ranking = _ranking(share, top_k)
    ranking_dense = _ranking(np.where(present, density, 0.0), top_k)
    return RegionShares(
        shares={name: round(float(s), 4) for name, s in zip(REGIONS, share)},
        area={name: round(float(a), 4) for name, a in zip(REGIONS, area)},
        density={name: round(float(d), 4) if p else None for name, d, p in zip(REGIONS, density, present)},
        top=ranking[0] if ranking else None,
        top_by_density=ranking_dense[0] if ranking_dense else None,
        ranking=ranking,
        ranking_by_density=ranking_dense,
        images=int(used.sum()),
    )


def _ranking(values: np.ndarray, k: int) -> list[str]:
    """Names of up to k regions with a positive value, largest first (stable: REGIONS order)."""
    order = np.argsort(-values, kind="stable")
    return [REGIONS[i] for i in order[:k] if values[i] > 0]


# --- LIME superpixels ---------------------------------------------------------------------------

def describe_lime_regions(segments, weights, region_map, top: int = 3) -> dict:
    """Which regions LIME's strongest superpixels cover, for and against the class.

    `segments` (H, W) superpixel ids 0..S-1, `weights` (S,), `region_map` (H, W) REGIONS indices.
    For "supporting" (the `top` largest positive weights) and "opposing" (the `top` most
    negative): "segments" [{"id", "weight", "pixels", "region" (the region holding most of its
    pixels)}], strongest first; "pixels" (their total); "shares" {region: share of those pixels},
    summing to 1 (all 0 when there is no such superpixel); "top" (largest share, or None).
    """
    segments = np.asarray(segments)
    weights = np.asarray(weights, dtype=np.float64)
    regions = np.asarray(region_map)
    if segments.shape != regions.shape:
        raise ValueError(f"segments {segments.shape} and region map {regions.shape} differ in shape")
    counts = np.zeros((len(weights), len(REGIONS)), dtype=np.int64)
    np.add.at(counts, (segments.reshape(-1), regions.reshape(-1)), 1)
    order = np.argsort(-weights, kind="stable")
    supporting = [int(i) for i in order[:top] if weights[i] > 0]
    opposing = [int(i) for i in order[::-1][:top] if weights[i] < 0]
    return {"supporting": _segment_group(supporting, weights, counts),
            "opposing": _segment_group(opposing, weights, counts)}


def _segment_group(ids: list[int], weights: np.ndarray, counts: np.ndarray) -> dict:
    pixels = counts[ids].sum(axis=0) if ids else np.zeros(len(REGIONS), dtype=np.int64)
    total = int(pixels.sum())
    share = pixels / total if total else np.zeros(len(REGIONS))
    ranking = _ranking(share, 1)
    return {
        "segments": [{"id": i, "weight": round(float(weights[i]), 4), "pixels": int(counts[i].sum()),
                      "region": REGIONS[int(np.argmax(counts[i]))]} for i in ids],
        "pixels": total,
        "shares": {name: round(float(s), 4) for name, s in zip(REGIONS, share)},
        "top": ranking[0] if ranking else None,
    }
