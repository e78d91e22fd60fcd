"""Confusion matrix, per-class accuracy (recall) and the most confused pairs."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class ConfusionFacts:
    matrix: list[list[int]]             # rows = true class, columns = predicted class
    accuracy: float
    per_class_accuracy: dict[str, float | None]   # None for a class absent from the split
    support: dict[str, int]
    confused_pairs: list[dict]          # {"true", "predicted", "count", "share"}, largest first
    best_class: str | None              # highest per-class accuracy (first in class order on ties)
    worst_class: str | None


def describe_confusion(labels: np.ndarray, predictions: np.ndarray, class_names, top: int = 3) -> ConfusionFacts:
    k = len(class_names)
    matrix = np.zeros((k, k), dtype=np.int64)
    np.add.at(matrix, (labels, predictions), 1)
    support = matrix.sum(axis=1)
    recall = {name: (round(float(matrix[i, i] / support[i]), 4) if support[i] else None)
              for i, name in enumerate(class_names)}
    off = [(int(matrix[i, j]), i, j) for i in range(k) for j in range(k) if i != j and matrix[i, j]]
    off.sort(key=lambda t: (-t[0], t[1], t[2]))
    pairs = [{"true": class_names[i], "predicted": class_names[j], "count": n,
              "share": round(n / int(support[i]), 4)} for n, i, j in off[:top]]
    accuracy = float(np.trace(matrix) / max(matrix.sum(), 1))
    present = {name: value for name, value in recall.items() if value is not None}
    best = max(present, key=lambda name: present[name], default=None)
    worst = min(present, key=lambda name: present[name], default=None)
    return ConfusionFacts(matrix.tolist(), round(accuracy, 4), recall,
                          {name: int(support[i]) for i, name in enumerate(class_names)}, pairs, best, worst)


def row_normalise(matrix) -> np.ndarray:
    """Each row divided by its sum; an empty row stays zero."""
    matrix = np.asarray(matrix, dtype=np.float64)
    totals = matrix.sum(axis=1, keepdims=True)
    return np.divide(matrix, totals, out=np.zeros_like(matrix), where=totals > 0)
