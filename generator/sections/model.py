"""Model: train the default CNN (cached) or load the user's file; describe its architecture."""

from __future__ import annotations

from generator.context import Run
from generator.data import Dataset
from generator.errors import UserError
from generator.figures.data import plot_training_curves
from generator.model.inputs import scale_images
from generator.model.loading import load_user_model
from generator.model.output_order import output_order, reorder_outputs
from generator.model.report_model import ReportModel, model_digest
from generator.model.training import TrainingData, train_model_cached
from generator.results import ModelResult, Results


def run_model(run: Run, results: Results) -> ModelResult:
    config = run.config
    data = results.data.dataset
    with run.progress.stage("train model" if config.model.path is None else "load model") as record:
        model = _train(run, data, record) if config.model.path is None else _load(run, data)
        figures = {}
        if model.history:
            figures["training_curves"] = run.figure(
                "training_curves", (model.history, model.best_epoch),
                lambda: plot_training_curves(model.history, model.best_epoch), record=record)
    keras_model = model.keras
    return ModelResult(model, {
        "source": "trained" if config.model.path is None else "file",
        "path": config.model.path,
        "arch": config.model.arch if config.model.path is None else None,
        "name": keras_model.name,
        "parameters": int(keras_model.count_params()),
        "input_shape": list(model.input_shape),
        "input_scale": config.model.input_scale,
        "adaptations": list(model.notes),
        "layers": describe_layers(keras_model),
        "training": _training_facts(model, config.model.epochs, config.model.patience),
        "figures": figures,
    })


def _train(run: Run, data: Dataset, record) -> ReportModel:
    settings = run.config.model
    if settings.classes is not None:
        raise UserError("model.classes", "only for a model file (model.path)",
                        "remove it: a model trained here follows classes")
    scale = settings.input_scale
    arrays = TrainingData(scale_images(data.train.images, scale), data.train.labels,
                          scale_images(data.validation.images, scale), data.validation.labels,
                          len(data.class_names))
    with run.progress.steps(settings.epochs, "epoch") as step:
        trained, hit = train_model_cached(
            run.cache, arrays, settings.arch, settings.epochs, settings.batch_size, settings.patience,
            run.config.seed,
            on_epoch=lambda epoch, logs: step(f"loss {logs['loss']:.3f} val_accuracy {logs['val_accuracy']:.3f}"))
    record.note_cache(hit)
    return ReportModel(trained.model, model_digest(trained.model, scale), "trained", data.train.images.shape[1:],
                       scale, (), trained.history, trained.best_epoch)


def _load(run: Run, data: Dataset) -> ReportModel:
    settings = run.config.model
    weights = None if settings.weights is None else run.paths.root / settings.weights
    loaded = load_user_model(run.paths.root / settings.path, len(data.class_names), unsafe=run.unsafe_model,
                             weights=weights)
    shape = tuple(loaded.input_shape)
    notes = list(loaded.notes)
    order = output_order(run.config.classes, settings.classes)
    if order is not None:
        reorder_outputs(loaded.model, order)
        notes.append("outputs-reordered")
    if shape[:2] != data.train.images.shape[1:3]:
        notes.append("resized")
    if shape[2] != data.train.images.shape[3]:
        notes.append("channels-replicated" if shape[2] > data.train.images.shape[3] else "channels-to-gray")
    scale = settings.input_scale
    return ReportModel(loaded.model, model_digest(loaded.model, scale), str(settings.path), shape, scale, tuple(notes))


def describe_layers(model) -> list[dict]:
    """One row per layer: name, type, output shape, parameter count."""
    rows = []
    for layer in model.layers:
        shape = getattr(layer, "output", None)
        shape = tuple(shape.shape) if shape is not None and hasattr(shape, "shape") else ()
        rows.append({"name": layer.name, "type": type(layer).__name__,
                     "output": "x".join(str(d) for d in shape[1:]), "parameters": int(layer.count_params())})
    return rows


def _training_facts(model: ReportModel, epochs: int, patience: int) -> dict | None:
    history = model.history
    if not history:
        return None
    best = model.best_epoch - 1
    run = len(history["loss"])
    return {"epochs_run": run, "epochs": epochs, "patience": patience, "stopped_early": run < epochs,
            "best_epoch": model.best_epoch,
            "train_accuracy": round(float(history["accuracy"][best]), 4),
            "validation_accuracy": round(float(history["val_accuracy"][best]), 4),
            "validation_loss": round(float(history["val_loss"][best]), 4)}
