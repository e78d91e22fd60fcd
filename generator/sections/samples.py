"""Sample choice (one image per class, shared by every section) and its probabilities."""

from __future__ import annotations

from generator.analysis.samples import choose_samples
from generator.context import Run
from generator.results import Results, SamplesResult
from generator.sections.evaluation import predict_cached


def run_samples(run: Run, results: Results) -> SamplesResult:
    data, model = results.data.dataset, results.model.model
    with run.progress.stage("choose samples") as record:
        samples = choose_samples(data, results.evaluation.probabilities, run.config.samples)
        chosen = samples.split
        probabilities = predict_cached(run, model, chosen.images, record)
    names = data.class_names
    return SamplesResult(samples, probabilities, probabilities.argmax(axis=1), {
        "images": [{"class": cls, "how": how, "row": int(row),
                    "predicted": names[int(p.argmax())], "correct": names[int(p.argmax())] == cls,
                    "probability_true": round(float(p[names.index(cls)]), 4),
                    "probability_predicted": round(float(p.max()), 4),
                    "probabilities": {n: round(float(v), 4) for n, v in zip(names, p)}}
                   for cls, how, row, p in zip(samples.classes, samples.how, chosen.rows, probabilities)],
        "missing": list(samples.missing),
    })
