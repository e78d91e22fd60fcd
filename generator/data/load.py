"""Choose the loader for `data.format` and apply the configured splits."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from generator.config import Config
from generator.data import Dataset, Split, split_by_fractions
from generator.errors import UserError

DEFAULT_FRACTIONS = {"synthetic": (0.7, 0.15, 0.15), "ntu-csv": (0.8, 0.1, 0.1), "image-folder": (0.8, 0.1, 0.1)}
DEFAULT_USAGES = ("Training", "PublicTest", "PrivateTest")


def load_dataset(config: Config, root: Path) -> Dataset:
    data = config.data
    classes = tuple(config.classes)
    if data.format == "synthetic":
        return _load_synthetic(config)
    path = (root / data.path).resolve() if not Path(data.path).is_absolute() else Path(data.path)
    if data.format == "fer2013-csv":
        from generator.data.fer2013 import load_fer2013_csv

        return load_fer2013_csv(path, classes, splits=_usages(config))
    fractions = _fractions(config)
    if data.format == "ntu-csv":
        from generator.data.fer2013 import load_ntu_csv

        return load_ntu_csv(path, classes, fractions=fractions, seed=config.seed)
    from generator.data.image_folder import load_image_folder

    return load_image_folder(path, classes, fractions=fractions, seed=config.seed)


def _load_synthetic(config: Config) -> Dataset:
    from generator.data.synthetic import make_synthetic_faces

    faces = make_synthetic_faces(config.data.synthetic.per_class, config.seed,
                                 shortcut=config.data.synthetic.shortcut, class_names=tuple(config.classes))
    everything = Split(faces.images, faces.labels, np.arange(1, len(faces.labels) + 1),
                       faces.regions, faces.evidence)
    train, validation, test = (everything.take(i) for i in split_by_fractions(
        len(everything), _fractions(config), config.seed))
    return Dataset("synthetic", tuple(config.classes), train, validation, test)


def _fractions(config: Config) -> tuple[float, float, float]:
    splits = config.data.splits
    if splits is None:
        return DEFAULT_FRACTIONS[config.data.format]
    values = tuple(splits.get(name, 0.0) for name in ("train", "validation", "test"))
    if not all(isinstance(v, float) for v in values) or values[0] <= 0 or values[2] <= 0:
        raise UserError("data.splits", f"{config.data.format} needs fractions for train, validation and test",
                        "for example {train: 0.7, validation: 0.15, test: 0.15}")
    return values


def _usages(config: Config) -> tuple[str, str, str]:
    splits = config.data.splits
    if splits is None:
        return DEFAULT_USAGES
    values = tuple(splits.get(name, default) for name, default in
                   zip(("train", "validation", "test"), DEFAULT_USAGES))
    if not all(isinstance(v, str) for v in values):
        raise UserError("data.splits", "fer2013-csv splits are the file's Usage names",
                        "for example {train: Training, validation: PublicTest, test: PrivateTest}")
    return values
