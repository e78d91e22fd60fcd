"""Datasets: the in-memory form every loader returns, and the split helpers."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

SPLIT_NAMES = ("train", "validation", "test")


@dataclass(frozen=True)
class DrawnTruth:
    """What each synthetic face was drawn as, beyond its label: the data's own ground truth.

    `drawn` (N,) the expression drawn (the label differs where label noise replaced it);
    `intensity` (N,) its strength (weak expressions look nearly neutral); `drift_class` (N,)
    the designed partner class it was drawn partway toward, -1 where none; `drift` (N,) how
    far (0: not at all).
    """

    drawn: np.ndarray
    intensity: np.ndarray
    drift_class: np.ndarray
    drift: np.ndarray

    def take(self, index: np.ndarray) -> "DrawnTruth":
        return DrawnTruth(self.drawn[index], self.intensity[index], self.drift_class[index], self.drift[index])


@dataclass(frozen=True)
class Split:
    """One split. `images` is (N, H, W, C) float32 in [0, 1]; `labels` (N,) int64.

    `rows` holds each image's 1-based position among the data file's rows
    (header excluded, before any split; for synthetic data, among the generated
    images) so a user can name a sample as course reports do ("Angry: 2315").
    `regions` (N, H, W) uint8 indexes `vocabulary.REGIONS` and `evidence`
    (N, H, W) bool marks the parts that carry the class; both exist only where
    the data knows them (synthetic faces), as does `truth`, what each face was drawn as.
    """

    images: np.ndarray
    labels: np.ndarray
    rows: np.ndarray
    regions: np.ndarray | None = None
    evidence: np.ndarray | None = None
    truth: DrawnTruth | None = None

    def __len__(self) -> int:
        return len(self.labels)

    def take(self, index: np.ndarray) -> "Split":
        pick = lambda a: None if a is None else a[index]  # noqa: E731
        return Split(self.images[index], self.labels[index], self.rows[index],
                     pick(self.regions), pick(self.evidence), None if self.truth is None else self.truth.take(index))


@dataclass(frozen=True)
class Dataset:
    """What the pipeline works on: three splits and which one is evaluated."""

    source: str                 # data.format, e.g. "synthetic", "fer2013-csv"
    class_names: tuple[str, ...]
    train: Split
    validation: Split
    test: Split
    evaluated: str = "test"     # name of the split the report evaluates
    evaluated_label: str = "test"  # the split's own name in the source (e.g. "PrivateTest")

    @property
    def evaluation(self) -> Split:
        return getattr(self, self.evaluated)


def split_by_fractions(n: int, fractions: tuple[float, float, float], seed: int) -> tuple[np.ndarray, ...]:
    """Seeded shuffle of range(n) cut into train / validation / test index arrays."""
    order = np.random.default_rng(seed).permutation(n)
    total = sum(fractions)
    n_val = int(round(n * fractions[1] / total))
    n_test = int(round(n * fractions[2] / total))
    n_train = n - n_val - n_test
    return (np.sort(order[:n_train]), np.sort(order[n_train:n_train + n_val]),
            np.sort(order[n_train + n_val:]))
