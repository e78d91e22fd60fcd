"""How well a model's outputs fit the labels: the configured class order against the best one.

The best order is an assignment on the confusion matrix (Kuhn 1955, "The Hungarian method for the
assignment problem"; scipy's linear_sum_assignment), so any number of classes is cheap. What a model
without information would reach in its own best order is measured by shuffling the labels.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# Another order or scaling must win by both margins to count as clearly better.
CLEAR_POINTS = 0.10
CLEAR_RATIO = 1.2
# Chance: this quantile of the best-order accuracy over this many label shuffles.
CHANCE_SHUFFLES = 200
CHANCE_QUANTILE = 0.99


@dataclass(frozen=True)
class OutputFit:
    """One set of predictions against the labels."""

    images: int
    configured_accuracy: float      # outputs read in the configured order
    best_accuracy: float            # outputs read in their best order
    best_order: tuple[int, ...]     # best_order[j]: the configured class that output j fits
    chance_accuracy: float          # what shuffled labels reach in their best order

    @property
    def above_chance(self) -> bool:
        """Clearly better than chance in its best order: only then does an order or scaling say anything."""
        return clearly_better(self.best_accuracy, self.chance_accuracy)


def clearly_better(better: float, worse: float) -> bool:
    """`better` beats `worse` by CLEAR_POINTS and by CLEAR_RATIO."""
    return better - worse >= CLEAR_POINTS - 1e-9 and better >= CLEAR_RATIO * worse


def confusion_counts(labels: np.ndarray, predictions: np.ndarray, k: int) -> np.ndarray:
    """(k, k) counts, rows = label, columns = predicted output."""
    matrix = np.zeros((k, k), dtype=np.int64)
    np.add.at(matrix, (np.asarray(labels), np.asarray(predictions)), 1)
    return matrix


def best_order(matrix: np.ndarray) -> tuple[int, ...]:
    """The class each output fits in the assignment with the most matches; among tied assignments,
    the one keeping the most outputs in their configured place."""
    from scipy.optimize import linear_sum_assignment

    k = len(matrix)
    # A match outweighs any number of kept places, so the bonus only breaks ties.
    weights = (k + 1) * np.asarray(matrix, dtype=np.int64) + np.eye(k, dtype=np.int64)
    rows, columns = linear_sum_assignment(weights, maximize=True)
    order = np.empty(k, dtype=np.int64)
    order[columns] = rows
    return tuple(int(i) for i in order)


def matched(matrix: np.ndarray, order: tuple[int, ...]) -> int:
    """Images right when output j is read as class order[j]."""
    return int(sum(matrix[label, output] for output, label in enumerate(order)))


def chance_accuracy(labels: np.ndarray, predictions: np.ndarray, k: int, seed: int) -> float:
    """CHANCE_QUANTILE of the best-order accuracy with the labels shuffled (same class frequencies,
    same predictions, no link between them)."""
    from scipy.optimize import linear_sum_assignment

    rng = np.random.default_rng(seed)
    labels = np.asarray(labels)
    scores = []
    for _ in range(CHANCE_SHUFFLES):
        matrix = confusion_counts(rng.permutation(labels), predictions, k)
        rows, columns = linear_sum_assignment(matrix, maximize=True)
        scores.append(matrix[rows, columns].sum() / max(len(labels), 1))
    return float(np.quantile(scores, CHANCE_QUANTILE))


def describe_output_fit(labels: np.ndarray, predictions: np.ndarray, k: int, seed: int) -> OutputFit:
    """The configured order's accuracy, the best order's, and chance's."""
    matrix = confusion_counts(labels, predictions, k)
    total = max(len(labels), 1)
    order = best_order(matrix)
    return OutputFit(len(labels), round(float(np.trace(matrix)) / total, 4), round(matched(matrix, order) / total, 4),
                     order, round(chance_accuracy(labels, predictions, k, seed), 4))


def order_verdict(fit: OutputFit) -> str:
    """unjudged: at chance in every order; mismatch: another order is clearly better; fits: none is."""
    if not fit.above_chance:
        return "unjudged"
    return "mismatch" if clearly_better(fit.best_accuracy, fit.configured_accuracy) else "fits"


def scaling_verdict(fits: list[OutputFit]) -> tuple[int, str]:
    """The best of several scalings (the configured one first; ties go to it, then to the earlier) and the
    verdict on the configured one, each scored by its best-order accuracy."""
    best = max(range(len(fits)), key=lambda i: (fits[i].best_accuracy, -i))
    if not any(fit.above_chance for fit in fits):
        return best, "unjudged"
    winner = fits[best]
    mismatch = best != 0 and winner.above_chance and clearly_better(winner.best_accuracy, fits[0].best_accuracy)
    return best, "mismatch" if mismatch else "fits"
