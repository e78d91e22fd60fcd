"""Model: train the default CNN (cached) or load the user's file; describe its architecture."""

from __future__ import annotations

import numpy as np

from generator import usage
from generator.context import ReportModel, Run, model_digest
from generator.figures.data import plot_training_curves
from generator.model import TrainingData, train_model_cached


def run_model(run: Run) -> dict:
    config = run.config
    data = run.results["data"]
    with run.progress.stage("train model" if config.model.path is None else "load model") as record:
        if config.model.path is None:
            report_model = _train(run, data, record)
        else:
            report_model = _load(run, data)
        run.results["model"] = report_model
        figures = {}
        if report_model.history:
            figures["training_curves"] = run.figure(
                "training_curves", (report_model.history, report_model.best_epoch),
                lambda: plot_training_curves(report_model.history, report_model.best_epoch), record=record)
    model = report_model.model
    return {
        "source": "trained" if config.model.path is None else "file",
        "path": config.model.path,
        "arch": config.model.arch if config.model.path is None else None,
        "name": model.name,
        "parameters": int(model.count_params()),
        "input_shape": list(report_model.input_shape),
        "input_scale": config.model.input_scale,
        "adaptations": list(report_model.notes),
        "layers": describe_layers(model),
        "training": _training_facts(report_model),
        "figures": figures,
    }


def _train(run: Run, data, record) -> ReportModel:
    from generator.model_loading import scale_images

    config = run.config
    scale = config.model.input_scale
    to_input = lambda images: scale_images(images, scale)  # noqa: E731
    arrays = TrainingData(to_input(data.train.images), data.train.labels,
                          to_input(data.validation.images), data.validation.labels, len(data.class_names))
    step = run.progress.steps(config.model.epochs, "epoch")
    trained, hit = train_model_cached(
        run.cache, arrays, config.model.arch, config.model.epochs, config.model.batch_size,
        config.model.patience, config.seed,
        on_epoch=lambda epoch, logs: step(f"loss {logs['loss']:.3f} val_accuracy {logs['val_accuracy']:.3f}"))
    step.close()
    record.note_cache(hit)
    return ReportModel(trained.model, model_digest(trained.model), "trained", data.train.images.shape[1:],
                       to_input, (), trained.history, trained.best_epoch)


def _load(run: Run, data) -> ReportModel:
    from generator.model_loading import adapt_images, load_user_model, scale_images

    config = run.config
    path = run.paths.root / config.model.path
    loaded = load_user_model(path, len(data.class_names), unsafe=run.unsafe_model)
    shape = tuple(loaded.input_shape)
    to_input = lambda images: scale_images(adapt_images(images, shape), config.model.input_scale)  # noqa: E731
    notes = list(loaded.notes)
    if shape[:2] != data.train.images.shape[1:3]:
        notes.append("resized")
    if shape[2] != data.train.images.shape[3]:
        notes.append("channels-replicated")
    return ReportModel(loaded.model, model_digest(loaded.model), str(config.model.path), shape,
                       to_input, tuple(notes))


def describe_layers(model) -> list[dict]:
    """One row per layer: name, type, output shape, parameter count."""
    rows = []
    for layer in model.layers:
        shape = getattr(layer, "output", None)
        shape = tuple(shape.shape) if shape is not None and hasattr(shape, "shape") else ()
        rows.append({"name": layer.name, "type": type(layer).__name__,
                     "output": "x".join(str(d) for d in shape[1:]), "parameters": int(layer.count_params())})
    return rows


def _training_facts(report_model: ReportModel) -> dict | None:
    history = report_model.history
    if not history:
        return None
    best = report_model.best_epoch - 1
    return {"epochs_run": len(history["loss"]), "best_epoch": report_model.best_epoch,
            "train_accuracy": round(float(history["accuracy"][best]), 4),
            "validation_accuracy": round(float(history["val_accuracy"][best]), 4),
            "validation_loss": round(float(history["val_loss"][best]), 4)}


def predict(run: Run, images: np.ndarray, record, batch_size: int = 256) -> np.ndarray:
    """Class probabilities for [0, 1] images, cached per model and images."""
    model = run.results["model"]

    def compute():
        usage.count(len(images), usage.batches(len(images), batch_size))
        return model.model.predict(model.to_input(images), batch_size=batch_size, verbose=0)

    return run.cached("predict", 1, (model.model_id, images), compute, record)


def input_value(model: ReportModel, gray: float) -> float:
    """The model-input value of a gray level in [0, 1] (0 = black), after the configured scaling."""
    return float(model.to_input(np.full((1, 2, 2, 1), gray, np.float32)).flat[0])
