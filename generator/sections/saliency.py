"""Section 1: vanilla saliency and SmoothGrad for the sample images, in one batch each."""

from __future__ import annotations

from dataclasses import asdict

from generator.context import Run
from generator.explain.saliency import compute_saliency, compute_smoothgrad
from generator.figures.saliency import plot_saliency
from generator.sections.regions import describe_sample_maps

SALIENCY_STEP_VERSION = 1


def run_saliency(run: Run) -> dict:
    model, samples = run.results["model"], run.results["samples"]
    settings = run.config.methods.saliency
    images, targets = model.to_input(samples.split.images), samples.split.labels
    with run.progress.stage("saliency maps") as record:
        maps = run.cached(
            "saliency", SALIENCY_STEP_VERSION, (model.model_id, images, targets, settings),
            lambda: {"saliency": compute_saliency(model.model, images, targets),
                     "smoothgrad": compute_smoothgrad(model.model, images, targets, settings.smooth_samples,
                                                      settings.smooth_noise, seed=run.config.seed)},
            record)
        run.results["saliency"] = maps
        figure = run.figure("saliency", (images, maps), lambda: plot_saliency(
            images, maps["saliency"], maps["smoothgrad"], run.results["data"].class_names, targets),
            record=record)
    regions = {method: describe_sample_maps(run, maps[method]) for method in ("saliency", "smoothgrad")}
    return {"settings": asdict(settings), "regions": regions, "figures": {"saliency": figure}}
