"""Evaluation: predictions on the evaluated split, confusion matrix and per-class accuracy."""

from __future__ import annotations

from dataclasses import asdict

import numpy as np

from generator.analysis.confusion import describe_confusion
from generator.analysis.findings import describe_confusion_notes
from generator.context import Run
from generator.figures.confusion import plot_confusion
from generator.sections.model import predict


def run_evaluation(run: Run) -> dict:
    data = run.results["data"]
    evaluation = data.evaluation
    with run.progress.stage("evaluate") as record:
        probabilities = predict(run, evaluation.images, record)
        predictions = probabilities.argmax(axis=1)
        run.results["probabilities"] = probabilities
        confusion = describe_confusion(evaluation.labels, predictions, data.class_names)
        figure = run.figure("confusion", confusion.matrix,
                            lambda: plot_confusion(confusion.matrix, data.class_names), record=record)
    facts = asdict(confusion)
    facts["figures"] = {"confusion": figure}
    facts["notes"] = describe_confusion_notes(confusion.per_class_accuracy, confusion.confused_pairs,
                                              data.class_names)
    facts["mean_confidence"] = round(float(np.mean(probabilities.max(axis=1))), 4)
    return facts
