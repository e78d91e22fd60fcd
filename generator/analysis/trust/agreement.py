"""Agreement between explanation methods: Spearman rank correlation of their maps, overall and per class."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from generator.analysis.trust.ranks import unit_ranks


@dataclass(frozen=True)
class AgreementResult:
    """`methods` in order; `matrix` (M, M) mean Spearman over all images; `per_class`
    (K, M, M) the same over each class's images (NaN: none); `counts` (K,) images per class;
    `class_agreement` (K,) each class's mean off-diagonal correlation (NaN: no images or
    one method); `mean_agreement` the overall mean off-diagonal; `disagreeing` the class
    names below `threshold`; `blank` (M,) each method's constant maps, which correlate 0
    with everything (so a diagonal entry is 1 - blank / N)."""

    methods: tuple
    matrix: np.ndarray
    per_class: np.ndarray
    counts: np.ndarray
    class_agreement: np.ndarray
    mean_agreement: float
    disagreeing: tuple
    threshold: float
    blank: np.ndarray


def compute_agreement(maps: dict, labels, class_names,
                      threshold: float) -> AgreementResult:
    """Maps method -> (N, H, W) for the same N images, whose classes are `labels` (N,).

    Maps are compared as given; a constant map correlates 0 with every map.
    """
    methods = tuple(maps)
    labels = np.asarray(labels, dtype=np.int64)
    units = np.stack([unit_ranks(maps[m]) for m in methods])          # (M, N, P)
    if units.shape[1] != len(labels):
        raise ValueError(f"{units.shape[1]} maps per method but {len(labels)} labels")
    pairs = np.clip(np.einsum("anp,bnp->nab", units, units), -1.0, 1.0)  # (N, M, M)
    counts = np.bincount(labels, minlength=len(class_names))[:len(class_names)]
    per_class = np.full((len(class_names), len(methods), len(methods)), np.nan)
    for k in np.flatnonzero(counts):
        per_class[k] = pairs[labels == k].mean(axis=0)
    matrix = pairs.mean(axis=0) if len(labels) else np.full((len(methods),) * 2, np.nan)
    class_agreement = np.array([_off_diagonal(m) for m in per_class])
    disagreeing = tuple(name for name, value in zip(class_names, class_agreement) if value < threshold)
    blank = (~units.any(axis=2)).sum(axis=1)
    return AgreementResult(methods, matrix, per_class, counts, class_agreement,
                           _off_diagonal(matrix), disagreeing, float(threshold), blank)


def _off_diagonal(matrix: np.ndarray) -> float:
    off = matrix[~np.eye(len(matrix), dtype=bool)]
    return float(off.mean()) if off.size and not np.isnan(off).all() else float("nan")
