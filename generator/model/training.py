"""Training the report's own CNN with a fixed seed and early stopping, cached by content hash."""

from __future__ import annotations

import pickle
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from generator import usage
from generator.cache import StepCache
from generator.model.architectures import build_model

# Bump when building or training changes meaning (invalidates cached models).
TRAIN_STEP_VERSION = 1
# Early stopping watches the validation loss only after this many epochs: a small
# model's loss can plateau for a few epochs before it starts to learn.
WARMUP_EPOCHS = 5


@dataclass(frozen=True)
class TrainedModel:
    model: object           # keras.Model
    history: dict           # metric name -> list of per-epoch values
    epochs_run: int
    best_epoch: int         # 1-based epoch whose weights were kept


@dataclass(frozen=True)
class TrainingData:
    """Model-ready arrays (already scaled as the model expects)."""

    train_images: np.ndarray
    train_labels: np.ndarray
    validation_images: np.ndarray
    validation_labels: np.ndarray
    class_count: int


def train_model(data: TrainingData, arch: str, epochs: int, batch_size: int, patience: int,
                seed: int, on_epoch=None) -> TrainedModel:
    """Train with a fixed seed and early stopping on validation loss; keep the best weights."""
    import keras

    keras.utils.set_random_seed(seed)
    model = build_model(arch, data.train_images.shape[1:], data.class_count)
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    stopper = keras.callbacks.EarlyStopping(monitor="val_loss", patience=patience, restore_best_weights=True,
                                            start_from_epoch=WARMUP_EPOCHS)
    sizes = (len(data.train_images), len(data.validation_images))
    counter = keras.callbacks.LambdaCallback(on_epoch_end=lambda epoch, logs: usage.count(
        sum(sizes), sum(usage.batches(n, batch_size) for n in sizes)))
    callbacks = [stopper, counter]
    if on_epoch is not None:
        callbacks.append(keras.callbacks.LambdaCallback(
            on_epoch_end=lambda epoch, logs: on_epoch(epoch + 1, logs)))
    fit = model.fit(data.train_images, data.train_labels, epochs=epochs, batch_size=batch_size,
                    validation_data=(data.validation_images, data.validation_labels),
                    callbacks=callbacks, shuffle=True, verbose=0)
    history = {name: [float(v) for v in values] for name, values in fit.history.items()}
    # The kept weights: the best monitored epoch, or the last one if none was monitored.
    best = stopper.best_epoch + 1 if stopper.best_weights is not None else len(history["loss"])
    return TrainedModel(model, history, len(history["loss"]), best)


def train_model_cached(cache: StepCache, data: TrainingData, arch: str, epochs: int, batch_size: int,
                       patience: int, seed: int, on_epoch=None) -> tuple[TrainedModel, bool]:
    """`train_model`, or the cached result for the same data, architecture, training config and seed."""
    inputs = {"data": data, "arch": arch, "epochs": epochs,
              "batch_size": batch_size, "patience": patience, "seed": seed}
    return cache.run("model", TRAIN_STEP_VERSION, inputs,
                     lambda: train_model(data, arch, epochs, batch_size, patience, seed, on_epoch),
                     save=_save_trained, load=_load_trained)


def _save_trained(trained: TrainedModel, path: Path) -> None:
    """One file: the .keras archive's bytes and the training record, pickled together."""
    with tempfile.TemporaryDirectory() as folder:
        archive = Path(folder) / "model.keras"
        trained.model.save(archive)
        record = {"keras": archive.read_bytes(), "history": trained.history,
                  "epochs_run": trained.epochs_run, "best_epoch": trained.best_epoch}
    path.write_bytes(pickle.dumps(record, protocol=pickle.HIGHEST_PROTOCOL))


def _load_trained(path: Path) -> TrainedModel:
    import keras

    record = pickle.loads(path.read_bytes())
    with tempfile.TemporaryDirectory() as folder:
        archive = Path(folder) / "model.keras"
        archive.write_bytes(record["keras"])
        model = keras.models.load_model(archive)
    return TrainedModel(model, record["history"], record["epochs_run"], record["best_epoch"])
