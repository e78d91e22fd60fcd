"""The best order of a model's outputs (assignment on the confusion matrix), chance, and the verdicts."""

import itertools

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from generator.analysis.output_fit import (
    OutputFit,
    best_order,
    clearly_better,
    confusion_counts,
    describe_output_fit,
    matched,
    order_verdict,
    scaling_verdict,
)


def from_matrix(matrix) -> tuple[np.ndarray, np.ndarray]:
    """Labels and predictions whose confusion matrix (rows label, columns output) is `matrix`."""
    pairs = [(i, j) for i, row in enumerate(matrix) for j, n in enumerate(row) for _ in range(n)]
    labels, predictions = np.array(pairs).T
    return labels, predictions


def test_swapped_outputs_are_found_with_both_accuracies():
    # Outputs 1 and 2 swapped: output 1 is mostly class 2 and output 2 mostly class 1.
    matrix = [[80, 10, 10], [10, 10, 80], [10, 80, 10]]
    labels, predictions = from_matrix(matrix)
    fit = describe_output_fit(labels, predictions, 3, seed=0)
    assert fit.images == 300
    assert fit.configured_accuracy == round(100 / 300, 4)
    assert fit.best_accuracy == 0.8 and fit.best_order == (0, 2, 1)
    assert fit.chance_accuracy < 0.5
    assert order_verdict(fit) == "mismatch"


def test_the_right_order_fits_and_keeps_its_place():
    labels, predictions = from_matrix([[80, 10, 10], [10, 80, 10], [10, 10, 80]])
    fit = describe_output_fit(labels, predictions, 3, seed=0)
    assert fit.best_order == (0, 1, 2) and fit.best_accuracy == fit.configured_accuracy == 0.8
    assert order_verdict(fit) == "fits"


def test_ties_keep_the_configured_order():
    # Outputs 2 and 3 are never predicted: any assignment of them scores the same.
    assert best_order(np.array([[0, 9, 0, 0], [9, 0, 0, 0], [1, 1, 0, 0], [1, 1, 0, 0]])) == (1, 0, 2, 3)
    assert best_order(np.full((5, 5), 4)) == (0, 1, 2, 3, 4)


@settings(max_examples=60, deadline=None)
@given(st.integers(2, 5).flatmap(lambda k: st.lists(st.lists(st.integers(0, 6), min_size=k, max_size=k),
                                                    min_size=k, max_size=k)))
def test_the_assignment_is_the_best_of_every_permutation(rows):
    matrix = np.array(rows)
    brute = max(matched(matrix, order) for order in itertools.permutations(range(len(matrix))))
    order = best_order(matrix)
    assert sorted(order) == list(range(len(matrix)))
    assert matched(matrix, order) == brute
    if np.trace(matrix) == brute:
        assert order == tuple(range(len(matrix)))


def test_many_classes_are_recovered():
    rng = np.random.default_rng(3)
    k = 40
    truth = 30 * np.eye(k, dtype=int) + rng.integers(0, 4, (k, k))
    outputs = rng.permutation(k)                  # output j is class outputs[j]
    fit = describe_output_fit(*from_matrix(truth[:, outputs]), k, seed=0)
    assert fit.best_order == tuple(int(c) for c in outputs)
    assert fit.best_accuracy == round(np.trace(truth) / truth.sum(), 4)
    assert order_verdict(fit) == "mismatch"


def test_a_model_at_chance_cannot_be_judged():
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 7, 400)
    independent = describe_output_fit(labels, rng.integers(0, 7, 400), 7, seed=0)
    assert order_verdict(independent) == "unjudged"
    constant = describe_output_fit(labels, np.full(400, 4), 7, seed=0)
    assert constant.best_accuracy == constant.chance_accuracy == round(np.bincount(labels).max() / 400, 4)
    assert order_verdict(constant) == "unjudged"


def test_chance_is_seeded():
    labels, predictions = from_matrix([[20, 5, 5], [5, 5, 20], [5, 20, 5]])
    assert describe_output_fit(labels, predictions, 3, seed=1) == describe_output_fit(labels, predictions, 3, seed=1)


def test_clearly_better_needs_ten_points_and_one_point_two_times():
    assert clearly_better(0.514, 0.356)           # the alphabetical-order model
    assert clearly_better(0.5, 0.4)               # exactly 10 points, 1.25x
    assert not clearly_better(0.95, 0.85)         # 10 points, 1.12x
    assert not clearly_better(0.12, 0.05)         # 2.4x, 7 points
    assert not clearly_better(0.4, 0.4)


def fit(best: float, chance: float = 0.3) -> OutputFit:
    return OutputFit(200, best, best, (0, 1, 2), chance)


def test_scaling_verdicts():
    assert scaling_verdict([fit(0.446), fit(0.758), fit(0.541)]) == (1, "mismatch")
    assert scaling_verdict([fit(0.7), fit(0.75), fit(0.2)]) == (1, "fits")         # better, not clearly
    assert scaling_verdict([fit(0.7), fit(0.7)]) == (0, "fits")                      # a tie keeps the configured
    assert scaling_verdict([fit(0.1), fit(0.32), fit(0.2)]) == (1, "unjudged")      # best at chance: no verdict
    assert scaling_verdict([fit(0.45), fit(0.2, chance=0.1)]) == (0, "fits")


def test_confusion_counts_rows_are_labels():
    assert confusion_counts(np.array([0, 0, 1]), np.array([1, 1, 1]), 2).tolist() == [[0, 2], [0, 1]]
