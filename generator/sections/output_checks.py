"""Checks of the settings the data can contradict: the input scaling and the class order.

A clearly better scaling or order stops the run with a UserError naming the key (unless
model.check_scaling / model.check_classes is false); otherwise the result becomes facts.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import yaml

from generator.analysis.output_fit import OutputFit, describe_output_fit, order_verdict, scaling_verdict
from generator.config import INPUT_SCALES
from generator.context import Run
from generator.data import Split
from generator.errors import UserError
from generator.model.output_order import output_order
from generator.model.report_model import ReportModel

SCALING_IMAGES = 300        # evaluation images each other scaling is tried on
SCALING_STEP_VERSION = 1


def check_outputs(run: Run, model: ReportModel, split: Split, probabilities: np.ndarray, record) -> dict:
    """Facts of both checks; raises UserError on a clear mismatch the config asks to stop at."""
    scaling = check_scaling(run, model, split, probabilities, record)
    classes = check_classes(run, split, probabilities)
    return {"scaling": scaling, "classes": classes}


def check_classes(run: Run, split: Split, probabilities: np.ndarray) -> dict:
    """The configured order of the outputs against their best order on the whole evaluated split."""
    names, settings = list(run.config.classes), run.config.model
    fit = describe_output_fit(split.labels, probabilities.argmax(axis=1), len(names), run.config.seed)
    verdict = order_verdict(fit)
    order = [names[i] for i in fit.best_order]
    if verdict == "mismatch" and settings.check_classes:
        key = "classes" if settings.classes is None else "model.classes"
        raise UserError(key, f"the model's outputs look like {_yaml(file_order(order, run))} ({fit.best_accuracy:.1%} "
                             f"in that order, {fit.configured_accuracy:.1%} in the configured one)",
                        "set model.classes to that list in report.yml, or model.check_classes: false to keep yours")
    return {"enforced": settings.check_classes, "images": fit.images,
            "configured_accuracy": fit.configured_accuracy, "best_accuracy": fit.best_accuracy,
            "best_order": order, "chance_accuracy": fit.chance_accuracy, "verdict": verdict}


def check_scaling(run: Run, model: ReportModel, split: Split, probabilities: np.ndarray, record) -> dict:
    """The configured scaling against the named others on up to SCALING_IMAGES evaluated images, each scored in
    its best order of the outputs (so a wrong class order does not hide the right scaling)."""
    rows = scaling_rows(len(split), run.config.seed)
    scales = [model.input_scale] + [scale for scale in INPUT_SCALES if scale != model.input_scale]
    predicted = [probabilities[rows].argmax(axis=1)]
    predicted += [_predict_scaled(run, model, split.images[rows], scale, record) for scale in scales[1:]]
    fits = [describe_output_fit(split.labels[rows], outputs, probabilities.shape[1], run.config.seed)
            for outputs in predicted]
    best, verdict = scaling_verdict(fits)
    if verdict == "mismatch" and run.config.model.check_scaling:
        raise UserError("model.input_scale", _scaling_mismatch(scales[best], fits[best], scales[0], fits[0]),
                        f"set model.input_scale: {_yaml(scales[best])} in report.yml, "
                        "or model.check_scaling: false to keep yours")
    return {"enforced": run.config.model.check_scaling, "images": len(rows),
            "configured": scales[0], "configured_accuracy": fits[0].best_accuracy,
            "best": scales[best], "best_accuracy": fits[best].best_accuracy,
            "chance_accuracy": max(fit.chance_accuracy for fit in fits),
            "tried": [_scaling_row(scale, fit) for scale, fit in zip(scales, fits)], "verdict": verdict}


def file_order(order: list[str], run: Run) -> list[str]:
    """`order` (the class each output fits, outputs as the report reads them) in the model file's output order."""
    reordered = output_order(run.config.classes, run.config.model.classes)
    if reordered is None:
        return order
    in_file = [""] * len(order)
    for output, name in zip(reordered, order):
        in_file[output] = name
    return in_file


def scaling_rows(size: int, seed: int) -> np.ndarray:
    """Up to SCALING_IMAGES evaluation rows, drawn with the run's seed, in order."""
    if size <= SCALING_IMAGES:
        return np.arange(size)
    return np.sort(np.random.default_rng(seed).choice(size, SCALING_IMAGES, replace=False))


def _predict_scaled(run: Run, model: ReportModel, images: np.ndarray, scale, record) -> np.ndarray:
    """The predicted outputs of `images` fed to the model with `scale` instead of the configured one."""
    scaled = dataclasses.replace(model, input_scale=scale)
    return run.cached("predict_scaled", SCALING_STEP_VERSION, (model.model_id, images, scale),
                      lambda: scaled.predict(images).argmax(axis=1), record)


def _scaling_row(scale, fit: OutputFit) -> dict:
    return {"scale": scale, "accuracy": fit.best_accuracy, "chance_accuracy": fit.chance_accuracy}


def _scaling_mismatch(best, best_fit: OutputFit, configured, configured_fit: OutputFit) -> str:
    return (f"the model looks trained on {_yaml(best)} inputs ({best_fit.best_accuracy:.1%} accuracy with them, "
            f"{configured_fit.best_accuracy:.1%} with the configured {_yaml(configured)}, "
            f"on {best_fit.images} evaluation images)")


def _yaml(value) -> str:
    """`value` as it would be written in report.yml, on one line (named scalings quoted)."""
    if isinstance(value, str):
        return f'"{value}"'
    return yaml.safe_dump(value, default_flow_style=True, width=float("inf"), sort_keys=False).strip()
