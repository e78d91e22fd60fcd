"""Face regions: the template for real faces, and where attribution mass falls among the regions."""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from generator.analysis.trust.localisation import compute_localisation
from generator.errors import UserError
from generator.vocabulary import OUTSIDE, REGIONS

FACE_REGIONS = REGIONS[:OUTSIDE]


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


def template_region_map(size=(48, 48), boxes: dict | None = None) -> np.ndarray:
    """(H, W) uint8 region indices (vocabulary.REGIONS) of the face template at `size` (H, W) or H.

    `boxes` (the config key `regions`) replaces the default box of each region it names;
    the other regions keep theirs. See DEFAULT_TEMPLATE for the box convention.
    """
    height, width = (size, size) if np.isscalar(size) else size
    template = dict(DEFAULT_TEMPLATE)
    for name, box in (boxes or {}).items():
        template[name] = _checked_box(name, box)
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


def _checked_box(name: str, box) -> tuple[float, ...]:
    if name not in FACE_REGIONS:
        raise UserError(f"regions.{name}", "unknown region", "known regions: " + ", ".join(FACE_REGIONS))
    values = tuple(float(v) for v in box)
    if len(values) != 4 or not all(0 <= v <= 1 for v in values) or values[0] >= values[2] \
            or values[1] >= values[3]:
        raise UserError(f"regions.{name}", "expected [x0, y0, x1, y1] as fractions of the image",
                        "for example [0.25, 0.7, 0.75, 0.9]")
    return values


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


# --- localisation -------------------------------------------------------------------------------

@dataclass(frozen=True)
class Localisation:
    """How well maps point into masks (the parts that carry the class, or any region): the
    facts of trust.compute_localisation, with None where a value is undefined.

    Per image: `inside_share` (share of positive mass inside the mask; None without positive
    mass), `mask_area` (the mask's share of the pixels: the inside share a map spread evenly
    would get), `pointing` (pointing game: 1.0 when the map's maximum lies in the mask, 0.0
    when not, the share inside for tied maxima; None without positive mass or with an empty
    mask). `mean_inside_share`, `mean_mask_area` and `pointing_game` average the images where
    the value is defined (None if there are none).
    """

    inside_share: list[float | None]
    mask_area: list[float]
    pointing: list[float | None]
    mean_inside_share: float | None
    mean_mask_area: float | None
    pointing_game: float | None

    def as_dict(self) -> dict:
        return asdict(self)


def describe_localisation(maps, masks) -> Localisation:
    """Share of positive attribution inside each boolean mask, and the pointing game.

    `maps` (N, H, W) attribution; `masks` (N, H, W) bool, or one (H, W) mask for every image.
    """
    maps = _as_stack(maps, "maps")
    result = compute_localisation(maps, masks)
    has_mass = np.maximum(maps, 0).sum(axis=(1, 2)) > 0
    shares = [float(s) if m else None for s, m in zip(result.mass_share, has_mass)]
    pointing = [float(p) if m and a > 0 else None
                for p, m, a in zip(result.pointing, has_mass, result.area_share)]
    return Localisation(
        inside_share=[_round(s) for s in shares],
        mask_area=[round(float(a), 4) for a in result.area_share],
        pointing=[_round(p) for p in pointing],
        mean_inside_share=_mean([s for s in shares if s is not None]),
        mean_mask_area=_mean(list(result.area_share)),
        pointing_game=_mean([p for p in pointing if p is not None]),
    )


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def _mean(values: list[float]) -> float | None:
    return round(float(np.mean(values)), 4) if values else None
