"""Choose the loader for `data.format` and apply the configured splits."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from generator.data import Dataset, Split, split_by_fractions
from generator.data.settings import DataSettings, SyntheticSettings
from generator.errors import UserError

DEFAULT_FRACTIONS = {"synthetic": (0.7, 0.15, 0.15), "ntu-csv": (0.8, 0.1, 0.1), "image-folder": (0.8, 0.1, 0.1),
                     "sklearn-digits": (0.7, 0.15, 0.15)}
DEFAULT_USAGES = ("Training", "PublicTest", "PrivateTest")


def load_dataset(settings: DataSettings, classes: tuple[str, ...], seed: int, root: Path) -> Dataset:
    """The data `settings` describe, labelled in `classes` order; relative paths are under `root`."""
    classes = tuple(classes)
    if settings.format == "synthetic":
        return _load_synthetic(settings, classes, seed)
    if settings.format == "sklearn-digits":
        from generator.data.digits import load_sklearn_digits

        return load_sklearn_digits(classes, settings.image_size, fractions=_fractions(settings), seed=seed)
    path = (root / settings.path).resolve() if not Path(settings.path).is_absolute() else Path(settings.path)
    if settings.format == "fer2013-csv":
        from generator.data.fer2013 import load_fer2013_csv

        return load_fer2013_csv(path, classes, splits=_usages(settings))
    fractions = _fractions(settings)
    if settings.format == "ntu-csv":
        from generator.data.fer2013 import load_ntu_csv

        return load_ntu_csv(path, classes, fractions=fractions, seed=seed)
    from generator.data.image_folder import load_image_folder

    return load_image_folder(path, classes, size=settings.image_size, channels=settings.channels,
                             fractions=fractions, seed=seed)


def resolve_design(synthetic: SyntheticSettings):
    """The FaceDesign of the synthetic settings: the preset's values, overridden where set."""
    from generator.data.synthetic.design import FaceDesign

    return FaceDesign.resolve(synthetic.preset, balance=synthetic.balance, intensity=synthetic.intensity,
                              ambiguity=synthetic.ambiguity, label_noise=synthetic.label_noise,
                              glasses=synthetic.glasses, hands=synthetic.hands, hair=synthetic.hair,
                              drifts=synthetic.drifts)


def _load_synthetic(settings: DataSettings, classes: tuple[str, ...], seed: int) -> Dataset:
    from generator.data.synthetic import make_synthetic_faces

    synthetic = settings.synthetic
    faces = make_synthetic_faces(synthetic.per_class, seed, shortcut=synthetic.shortcut, class_names=classes,
                                 design=resolve_design(synthetic))
    everything = Split(faces.images, faces.labels, np.arange(1, len(faces.labels) + 1),
                       faces.regions, faces.evidence, faces.truth)
    parts = _stratified(faces.truth.drawn, _fractions(settings), seed)
    train, validation, test = (everything.take(index) for index in parts)
    return Dataset("synthetic", classes, train, validation, test)


def _stratified(groups: np.ndarray, fractions: tuple[float, float, float], seed: int) -> list[np.ndarray]:
    """Train, validation and test indices holding each group in the same proportions (seeded)."""
    parts: list[list[np.ndarray]] = [[], [], []]
    for group in np.unique(groups):
        members = np.flatnonzero(groups == group)
        for part, picked in zip(parts, split_by_fractions(len(members), fractions, seed + int(group))):
            part.append(members[picked])
    return [np.sort(np.concatenate(part)) for part in parts]


def _fractions(settings: DataSettings) -> tuple[float, float, float]:
    splits = settings.splits
    if splits is None:
        return DEFAULT_FRACTIONS[settings.format]
    values = tuple(splits.get(name, 0.0) for name in ("train", "validation", "test"))
    if not all(isinstance(v, float) for v in values) or values[0] <= 0 or values[2] <= 0:
        raise UserError("data.splits", f"{settings.format} needs fractions for train, validation and test",
                        "for example {train: 0.7, validation: 0.15, test: 0.15}")
    return values


def _usages(settings: DataSettings) -> tuple[str, str, str]:
    splits = settings.splits
    if splits is None:
        return DEFAULT_USAGES
    values = tuple(splits.get(name, default) for name, default in
                   zip(("train", "validation", "test"), DEFAULT_USAGES))
    if not all(isinstance(v, str) for v in values):
        raise UserError("data.splits", "fer2013-csv splits are the file's Usage names",
                        "for example {train: Training, validation: PublicTest, test: PrivateTest}")
    return values
