"""Sample choice: one image per class, used by every per-class figure of every section."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from generator.data import SPLIT_NAMES, Dataset, Split
from generator.errors import UserError


@dataclass(frozen=True)
class Samples:
    """One image per class that has one, in class order."""

    split: Split                 # the chosen images, their labels, rows, masks
    classes: tuple[str, ...]     # class of each chosen image
    how: tuple[str, ...]         # "confident" | "closest" (no correct image) | "row" (from config)
    missing: tuple[str, ...]     # classes with no image in the evaluated split


def choose_samples(data: Dataset, probabilities: np.ndarray, rows: dict[str, int]) -> Samples:
    """Per class: the configured row, else the most confidently correct evaluated image.

    Where a class has no correctly classified image, its image with the highest
    probability for the true class is taken instead ("closest").
    `probabilities` are the model's outputs on `data.evaluation`.
    """
    evaluation = data.evaluation
    picks, classes, how, missing = [], [], [], []
    for k, name in enumerate(data.class_names):
        if name in rows:
            picks.append(_by_row(data, name, rows[name]))
            how.append("row")
        else:
            candidates = np.flatnonzero(evaluation.labels == k)
            if len(candidates) == 0:
                missing.append(name)
                continue
            correct = candidates[probabilities[candidates].argmax(axis=1) == k]
            pool = correct if len(correct) else candidates
            best = pool[np.argmax(probabilities[pool, k])]  # first of equals: deterministic
            picks.append(evaluation.take(np.array([best])))
            how.append("confident" if len(correct) else "closest")
        classes.append(name)
    return Samples(_concatenate(picks), tuple(classes), tuple(how), tuple(missing))


def _by_row(data: Dataset, name: str, row: int) -> Split:
    for split_name in SPLIT_NAMES:
        split = getattr(data, split_name)
        found = np.flatnonzero(split.rows == row)
        if len(found):
            chosen = split.take(found[:1])
            actual = data.class_names[int(chosen.labels[0])]
            if actual != name:
                raise UserError(f"samples.{name}", f"row {row} is a {actual} image, not {name}",
                                f"choose a row labelled {name}")
            return chosen
    total = sum(len(getattr(data, s)) for s in SPLIT_NAMES)
    raise UserError(f"samples.{name}", f"row {row} is not in the data",
                    f"choose a row from 1 to {total}")


def _concatenate(parts: list[Split]) -> Split:
    def optional(arrays: list) -> np.ndarray | None:
        return None if arrays[0] is None else np.concatenate(arrays)

    return Split(np.concatenate([p.images for p in parts]), np.concatenate([p.labels for p in parts]),
                 np.concatenate([p.rows for p in parts]), optional([p.regions for p in parts]),
                 optional([p.evidence for p in parts]))
