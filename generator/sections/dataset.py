"""Data: load (cached), count per class and split, draw the sample grid and class counts."""

from __future__ import annotations

import numpy as np

from generator.analysis.regions import RegionScheme, resolve_region_scheme
from generator.cache import files_of
from generator.context import Run
from generator.data import SPLIT_NAMES
from generator.data.fer2013 import describe_dataset_quirks
from generator.data.load import load_dataset, resolve_design
from generator.data.synthetic.design import designed_confusions, pair_facts
from generator.figures.data import plot_sample_grid
from generator.figures.regions import plot_region_template
from generator.results import DataResult, Results
from generator.vocabulary import default_subject

DATA_STEP_VERSION = 3  # 2: synthetic faces with FER2013's difficulty; 3: what each face was drawn as


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
                                                               len(data.class_names)), record=record),
        }
        subject = config.data.subject or default_subject(config.data.format)
        scheme = resolve_region_scheme(config.regions, subject)
        image, regions = _region_example(evaluation, scheme)
        figures["regions"] = run.figure("regions", (image, regions, scheme.names),
                                        lambda: plot_region_template(image, regions, scheme.names,
                                                                     scheme.background), record=record)
    quirks = describe_dataset_quirks(data)
    return DataResult(data, {
        "source": data.source,
        "path": config.data.path,
        "subject": subject,
        "regions": scheme.kind,
        "region_names": list(scheme.names),
        "image_shape": list(evaluation.images.shape[1:]),
        "evaluated_split": data.evaluated,
        "evaluated_label": data.evaluated_label,
        "evaluated_size": len(evaluation),
        "split_sizes": {name: len(getattr(data, name)) for name in SPLIT_NAMES},
        "counts": counts,
        "shares": {split: _shares(per_class) for split, per_class in counts.items()},
        "has_part_masks": evaluation.regions is not None,
        "shortcut": config.data.synthetic.shortcut if data.source == "synthetic" else None,
        "design": _design_facts(config.data.synthetic, data) if data.source == "synthetic" else None,
        "designed_confusions": ([pair_facts(pair) for pair in designed_confusions(data.class_names)]
                                if data.source == "synthetic" else []),
        "quirks": {"constant": quirks.constant, "duplicates": quirks.duplicates},
        "figures": figures,
    }, scheme)


def _design_facts(synthetic, data) -> dict:
    """The synthetic design as resolved (preset and overrides), and its label noise as measured."""
    design = resolve_design(synthetic)
    truth = data.evaluation.truth
    counts = np.bincount(data.train.labels, minlength=len(data.class_names))
    return {"preset": synthetic.preset, "balance": design.balance, "intensity": list(design.intensity),
            "most_frequent": data.class_names[int(counts.argmax())],
            "least_frequent": data.class_names[int(counts.argmin())],
            "ambiguity": design.ambiguity, "drifts": design.drift_map(), "label_noise": design.label_noise,
            "relabelled": round(float(np.mean(truth.drawn != data.evaluation.labels)), 4),
            "occluders": {"glasses": design.glasses, "hands": design.hands, "hair": design.hair}}


def _region_example(evaluation, scheme: RegionScheme) -> tuple[np.ndarray, np.ndarray]:
    """Synthetic faces: one face and its exact regions; other data: the mean image and the scheme's template."""
    if evaluation.regions is not None and scheme.kind == "face":
        return evaluation.images[0], evaluation.regions[0]
    mean_image = evaluation.images.mean(axis=0)
    return mean_image, scheme.template(mean_image.shape[:2])


def _shares(counts: dict[str, int]) -> dict[str, float]:
    total = max(sum(counts.values()), 1)
    return {name: round(count / total, 4) for name, count in counts.items()}


def _class_counts(labels: np.ndarray, class_names) -> dict[str, int]:
    counts = np.bincount(labels, minlength=len(class_names))
    return {name: int(counts[i]) for i, name in enumerate(class_names)}
