"""Localisation against a ground-truth mask: the pointing game and the share of positive mass inside.

Paper (pointing game): Zhang et al., Top-down Neural Attention by Excitation Backprop,
ECCV 2016, https://arxiv.org/abs/1608.00507 (here without its 15-pixel tolerance).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class LocalisationResult:
    """Per image (N,): `pointing` 1 when the map's maximum lies in the mask (ties: the share
    of maximal pixels inside; 0 for a map with no positive value), `mass_share` the share of
    positive attribution inside the mask (0 for no positive mass), `area_share` the mask's
    share of the image (what a uniform map would score); and their means."""

    pointing: np.ndarray
    pointing_game: float
    mass_share: np.ndarray
    mean_mass_share: float
    area_share: np.ndarray
    mean_area_share: float


def compute_localisation(maps: np.ndarray, masks: np.ndarray) -> LocalisationResult:
    """Maps (N, H, W) against boolean masks (N, H, W), or one (H, W) mask for every image."""
    maps = np.asarray(maps, dtype=np.float64)
    if maps.ndim != 3:
        raise ValueError(f"maps must be (N, H, W), got {maps.shape}")
    masks = np.broadcast_to(np.asarray(masks, dtype=bool), maps.shape)
    top = maps.max(axis=(1, 2), keepdims=True)
    peak = (maps == top) & (top > 0)
    peaks = peak.sum(axis=(1, 2))
    pointing = np.divide((peak & masks).sum(axis=(1, 2)), peaks, out=np.zeros(len(maps)), where=peaks > 0)
    positive = np.maximum(maps, 0.0)
    total = positive.sum(axis=(1, 2))
    inside = np.where(masks, positive, 0.0).sum(axis=(1, 2))
    mass = np.divide(inside, total, out=np.zeros(len(maps)), where=total > 0)
    area = masks.mean(axis=(1, 2))
    return LocalisationResult(pointing, _mean(pointing), mass, _mean(mass), area, _mean(area))


def _mean(values: np.ndarray) -> float:
    return float(values.mean()) if len(values) else float("nan")


def localisation_lift(result: LocalisationResult, members: np.ndarray) -> float:
    """The mean mass share inside the mask over `members` (a boolean or index selection of the
    images) divided by their mean mask area share: 1 is no better than a uniform map, so
    classes with small and large masks compare fairly."""
    return float(result.mass_share[members].mean() / max(result.area_share[members].mean(), 1e-9))


def low_localisation_flags(lift: dict, share: float) -> list[dict]:
    """Per method (lift: method -> class -> lift or None), the classes whose lift is below
    `share` times the mean of the other classes' lifts."""
    flags = []
    for method, by_class in lift.items():
        known = {c: v for c, v in by_class.items() if v is not None}
        for cls, value in known.items():
            others = [v for c, v in known.items() if c != cls]
            if others and value < share * float(np.mean(others)):
                flags.append({"kind": "low_localisation", "class": cls, "method": method, "share": value,
                              "others": round(float(np.mean(others)), 4)})
    return flags
