"""The model the report explains: the Keras model, its identity, and how [0, 1] images reach it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from generator import usage
from generator.cache import digest
from generator.model.folding import PIXEL_BUDGET, compiled_outputs
from generator.model.inputs import adapt_images, scale_images


@dataclass(frozen=True)
class ReportModel:
    """`keras` is a functional model with a softmax output; `model_id` (a content digest)
    keys every downstream cache entry; `source` is "trained" or the model file's path."""

    keras: Any
    model_id: str
    source: str
    input_shape: tuple[int, int, int]
    input_scale: Any                    # as model.input_scale: "0-1", "-1-1", "0-255" or {mean, std}
    notes: tuple[str, ...] = ()         # adaptations made (resized, channels, softmax applied, ...)
    history: dict | None = None         # training curves (trained models only)
    best_epoch: int | None = None

    def to_input(self, images: np.ndarray) -> np.ndarray:
        """[0, 1] images (N, H, W, C) resized, channel-adapted and scaled as the model expects."""
        return scale_images(adapt_images(images, self.input_shape), self.input_scale)

    def input_value(self, gray: float) -> float:
        """The model-input value of a gray level in [0, 1] (0 = black)."""
        return float(scale_images(np.full((1, 1, 1, 1), gray, np.float32), self.input_scale).flat[0])

    def predict(self, images: np.ndarray) -> np.ndarray:
        """Class probabilities (N, K) float32 for [0, 1] images, from the model's folded copy (see
        folding), compiled once, about PIXEL_BUDGET input values per call."""
        inputs = self.to_input(images)
        forward = compiled_outputs(self.keras)
        step = max(1, PIXEL_BUDGET // max(1, int(np.prod(self.input_shape))))
        usage.count(len(inputs), usage.batches(len(inputs), step))
        if not len(inputs):
            return np.zeros((0, int(self.keras.outputs[0].shape[-1])), np.float32)
        return np.concatenate([np.asarray(forward(inputs[i:i + step])) for i in range(0, len(inputs), step)])


def model_digest(model, input_scale) -> str:
    """Architecture, weights and input scaling, hashed: equal digests mean the same function of [0, 1] images."""
    return digest(model.to_json(), [np.asarray(w) for w in model.get_weights()], input_scale)
