"""Spearman rank correlation between maps, image by image (ties take their average rank)."""

from __future__ import annotations

import numpy as np


def unit_ranks(maps: np.ndarray) -> np.ndarray:
    """(N, P) float64: each map's pixel ranks, centred and scaled to unit length.

    The dot product of two such rows is their Spearman correlation. A constant map
    (no ranking at all) becomes zeros, so it correlates 0 with every map, itself included.
    """
    from scipy.stats import rankdata

    maps = np.asarray(maps, dtype=np.float64)
    ranks = rankdata(maps.reshape(len(maps), -1), axis=1)
    ranks -= ranks.mean(axis=1, keepdims=True)
    length = np.linalg.norm(ranks, axis=1, keepdims=True)
    return np.divide(ranks, length, out=np.zeros_like(ranks), where=length > 0)


def rank_correlation(first: np.ndarray, second: np.ndarray) -> np.ndarray:
    """(N,) Spearman correlation of first[i] with second[i] over their pixels; 0 where one is constant."""
    first, second = np.asarray(first), np.asarray(second)
    if first.shape != second.shape:
        raise ValueError(f"maps differ in shape: {first.shape} and {second.shape}")
    return np.clip(np.sum(unit_ranks(first) * unit_ranks(second), axis=1), -1.0, 1.0)
