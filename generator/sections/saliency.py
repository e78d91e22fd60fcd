"""Section 1: the methods of the saliency page (vanilla saliency, SmoothGrad) for the sample images."""

from __future__ import annotations

from dataclasses import asdict

from generator.context import Run
from generator.explain.methods import explainers, methods_on
from generator.figures.saliency import plot_saliency
from generator.results import Results, SaliencyResult
from generator.sections.regions import describe_method_regions
from generator.sections.settings import explain_settings

SALIENCY_STEP_VERSION = 2  # 2: SmoothGrad noise independent of the batch


def run_saliency(run: Run, results: Results) -> SaliencyResult:
    model, samples = results.model.model, results.samples.chosen
    settings = run.config.methods.saliency
    images, targets = model.to_input(samples.split.images), samples.split.labels
    methods = explainers(methods_on("saliency"), explain_settings(run.config, model))
    with run.progress.stage("saliency maps") as record:
        maps = run.cached(
            "saliency", SALIENCY_STEP_VERSION, (model.model_id, images, targets, settings),
            lambda: {key: explain(model.keras, images, targets) for key, explain in methods.items()}, record)
        figure = run.figure("saliency", (images, maps), lambda: plot_saliency(images, maps), record=record)
    regions = {key: describe_method_regions(results, key, maps[key]) for key in methods}
    return SaliencyResult(maps, {"settings": asdict(settings), "methods": list(methods), "regions": regions,
                                 "figures": {"saliency": figure}})
