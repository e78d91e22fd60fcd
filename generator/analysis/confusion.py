"""Confusion matrix, per-class accuracy (recall) and the most confused pairs."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# Recalls equal to this many decimals (a tenth of a percentage point, as the pages print
# them) are ties.
TIE_DECIMALS = 3


@dataclass(frozen=True)
class ConfusionFacts:
    matrix: list[list[int]]             # rows = true class, columns = predicted class
    accuracy: float
    chance: float                       # 1 / number of classes
    majority_class: str                 # the most frequent class of the split
    majority_accuracy: float            # accuracy of always predicting it
    per_class_accuracy: dict[str, float | None]   # None for a class absent from the split
    support: dict[str, int]
    confused_pairs: list[dict]          # {"true", "predicted", "count", "rate"}, largest first
    best_classes: list[str]             # every class tied at the highest recall, in class order
    worst_classes: list[str]            # every class tied at the lowest recall


def describe_confusion(labels: np.ndarray, predictions: np.ndarray, class_names, top: int = 3) -> ConfusionFacts:
    k = len(class_names)
    matrix = np.zeros((k, k), dtype=np.int64)
    np.add.at(matrix, (labels, predictions), 1)
    support = matrix.sum(axis=1)
    recall = {name: (round(float(matrix[i, i] / support[i]), 4) if support[i] else None)
              for i, name in enumerate(class_names)}
    pairs = confused_pairs(matrix, class_names, top)
    total = max(int(matrix.sum()), 1)
    majority = int(np.argmax(support))
    return ConfusionFacts(matrix.tolist(), round(float(np.trace(matrix)) / total, 4), round(1 / k, 4),
                          class_names[majority], round(int(support[majority]) / total, 4), recall,
                          {name: int(support[i]) for i, name in enumerate(class_names)}, pairs,
                          tied_at(recall, max), tied_at(recall, min))


def confused_pairs(matrix, class_names, top: int) -> list[dict]:
    """The `top` most frequent mistakes, true -> predicted, largest count first (ties in class order):
    {"true", "predicted", "count", "rate": count / the true class's images}."""
    matrix = np.asarray(matrix)
    support = matrix.sum(axis=1)
    k = len(class_names)
    off = [(int(matrix[i, j]), i, j) for i in range(k) for j in range(k) if i != j and matrix[i, j]]
    off.sort(key=lambda t: (-t[0], t[1], t[2]))
    return [{"true": class_names[i], "predicted": class_names[j], "count": n,
             "rate": round(n / int(support[i]), 4)} for n, i, j in off[:top]]


def tied_at(values: dict, pick) -> list[str]:
    """The names whose value, at TIE_DECIMALS, equals `pick` (max or min) of the known values."""
    known = {name: round(value, TIE_DECIMALS) for name, value in values.items() if value is not None}
    if not known:
        return []
    chosen = pick(known.values())
    return [name for name, value in known.items() if value == chosen]


def row_normalise(matrix) -> np.ndarray:
    """Each row divided by its sum; an empty row stays zero."""
    matrix = np.asarray(matrix, dtype=np.float64)
    totals = matrix.sum(axis=1, keepdims=True)
    return np.divide(matrix, totals, out=np.zeros_like(matrix), where=totals > 0)
