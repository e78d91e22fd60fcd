"""Evaluation: predictions on the evaluated split, confusion matrix and per-class accuracy."""

from __future__ import annotations

from dataclasses import asdict

import numpy as np

from generator.analysis.confusion import describe_confusion
from generator.analysis.findings import describe_confusion_notes
from generator.context import Run
from generator.results import EvaluationResult, Results
from generator.sections.output_checks import check_outputs

PREDICT_STEP_VERSION = 2  # 2: the folded copy's compiled forward


def run_evaluation(run: Run, results: Results) -> EvaluationResult:
    data, model = results.data.dataset, results.model.model
    evaluation = data.evaluation
    with run.progress.stage("evaluate") as record:
        probabilities = predict_cached(run, model, evaluation.images, record)
        checks = check_outputs(run, model, evaluation, probabilities, record)
        predictions = probabilities.argmax(axis=1)
        confusion = describe_confusion(evaluation.labels, predictions, data.class_names)
    facts = asdict(confusion)
    facts["notes"] = describe_confusion_notes(confusion.per_class_accuracy, confusion.confused_pairs,
                                              data.class_names)
    facts["mean_confidence"] = round(float(np.mean(probabilities.max(axis=1))), 4)
    facts["checks"] = checks
    return EvaluationResult(probabilities, predictions, confusion, facts)


def predict_cached(run: Run, model, images: np.ndarray, record) -> np.ndarray:
    """Class probabilities of the report's model for [0, 1] images, cached per model and images."""
    return run.cached("predict", PREDICT_STEP_VERSION, (model.model_id, images), lambda: model.predict(images),
                      record)
