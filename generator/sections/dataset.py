"""Data: load (cached), count per class and split, draw the sample grid and class counts."""

from __future__ import annotations

import numpy as np

from generator.analysis.regions import template_region_map
from generator.cache import files_of
from generator.context import Run
from generator.data import SPLIT_NAMES
from generator.data.fer2013 import describe_dataset_quirks
from generator.data.load import load_dataset
from generator.figures.data import plot_class_counts, plot_sample_grid
from generator.figures.regions import plot_region_template
from generator.results import DataResult, Results

DATA_STEP_VERSION = 2  # 2: synthetic faces with FER2013's difficulty (data.synthetic.design)


def run_dataset(run: Run, results: Results) -> DataResult:
    config = run.config
    with run.progress.stage("load data") as record:
        source = config.data.path and (run.paths.root / config.data.path)
        inputs = {"data": config.data, "classes": config.classes, "seed": config.seed,
                  "files": files_of(source)}
        data = run.cached("data", DATA_STEP_VERSION, inputs,
                          lambda: load_dataset(config.data, tuple(config.classes), config.seed, run.paths.root),
                          record)
        counts = {name: _class_counts(getattr(data, name).labels, data.class_names) for name in SPLIT_NAMES}
        evaluation = data.evaluation
        figures = {
            "sample_grid": run.figure("sample_grid", (evaluation.images[:2000], evaluation.labels[:2000]),
                                      lambda: plot_sample_grid(evaluation.images, evaluation.labels,
                                                               data.class_names), record=record),
            "class_counts": run.figure("class_counts", counts,
                                       lambda: plot_class_counts(counts, data.class_names), record=record),
        }
        face, regions = _region_example(run, evaluation)
        figures["regions"] = run.figure("regions", (face, regions), lambda: plot_region_template(face, regions),
                                        record=record)
    quirks = describe_dataset_quirks(data)
    return DataResult(data, {
        "source": data.source,
        "path": config.data.path,
        "image_shape": list(evaluation.images.shape[1:]),
        "evaluated_split": data.evaluated,
        "evaluated_label": data.evaluated_label,
        "evaluated_size": len(evaluation),
        "split_sizes": {name: len(getattr(data, name)) for name in SPLIT_NAMES},
        "counts": counts,
        "shares": {split: _shares(per_class) for split, per_class in counts.items()},
        "has_part_masks": evaluation.regions is not None,
        "shortcut": config.data.synthetic.shortcut if data.source == "synthetic" else None,
        "quirks": {"constant": quirks.constant, "duplicates": quirks.duplicates},
        "figures": figures,
    })


def _region_example(run: Run, evaluation) -> tuple[np.ndarray, np.ndarray]:
    """Synthetic faces: one face and its exact regions; real faces: the mean face and the template."""
    if evaluation.regions is not None:
        return evaluation.images[0], evaluation.regions[0]
    mean_face = evaluation.images.mean(axis=0)
    return mean_face, template_region_map(mean_face.shape[:2], run.config.regions)


def _shares(counts: dict[str, int]) -> dict[str, float]:
    total = max(sum(counts.values()), 1)
    return {name: round(count / total, 4) for name, count in counts.items()}


def _class_counts(labels: np.ndarray, class_names) -> dict[str, int]:
    counts = np.bincount(labels, minlength=len(class_names))
    return {name: int(counts[i]) for i, name in enumerate(class_names)}
