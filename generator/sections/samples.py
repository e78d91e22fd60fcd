"""Sample choice (one image per class, shared by every section) and its probabilities."""

from __future__ import annotations

from generator.analysis.samples import choose_samples
from generator.context import Run
from generator.figures.samples import plot_sample_probabilities
from generator.sections.model import predict


def run_samples(run: Run) -> dict:
    data = run.results["data"]
    with run.progress.stage("choose samples") as record:
        samples = choose_samples(data, run.results["probabilities"], run.config.samples)
        chosen = samples.split
        probabilities = predict(run, chosen.images, record)
        run.results["samples"] = samples
        run.results["sample_predictions"] = probabilities.argmax(axis=1)
        figure = run.figure("samples", (chosen.images, probabilities),
                            lambda: plot_sample_probabilities(chosen.images, probabilities, chosen.labels,
                                                              data.class_names), record=record)
    names = data.class_names
    return {
        "images": [{"class": cls, "how": how, "row": int(row),
                    "predicted": names[int(p.argmax())], "correct": names[int(p.argmax())] == cls,
                    "probability_true": round(float(p[names.index(cls)]), 4),
                    "probability_predicted": round(float(p.max()), 4),
                    "probabilities": {n: round(float(v), 4) for n, v in zip(names, p)}}
                   for cls, how, row, p in zip(samples.classes, samples.how, chosen.rows, probabilities)],
        "missing": list(samples.missing),
        "figures": {"probabilities": figure},
    }
