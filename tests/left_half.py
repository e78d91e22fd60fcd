"""A model whose class depends only on the left half of the image, and images for it.

The known answer for explanation tests: a faithful map puts its weight on the left half.
"""

from __future__ import annotations

import keras
import numpy as np

SIZE = 24


def left_half_model():
    """Softmax over {horizontal bar, vertical bar}, detected by hand-set 5x5 filters.

    A bar's pixels are 1; a filter fires only where 5 aligned pixels sum above 4, which
    uniform noise in [0, 0.6] never reaches. So the class is decided by the left half.
    """
    inputs = keras.Input((SIZE, SIZE, 1))
    conv = keras.layers.Conv2D(2, 5, padding="same", activation="relu", name="bars")
    x = keras.layers.GlobalMaxPooling2D()(conv(inputs))
    dense = keras.layers.Dense(2, activation="softmax", name="predictions")
    outputs = dense(x)
    kernel = np.zeros((5, 5, 1, 2), np.float32)
    kernel[2, :, 0, 0] = 1.0   # horizontal
    kernel[:, 2, 0, 1] = 1.0   # vertical
    conv.set_weights([kernel, np.full(2, -4.0, np.float32)])
    dense.set_weights([np.array([[4.0, -4.0], [-4.0, 4.0]], np.float32), np.zeros(2, np.float32)])
    return keras.Model(inputs, outputs)


def left_half_images(count: int, seed: int = 0):
    """Left half: dark with a 7-pixel bar (class 0 horizontal, 1 vertical); right half: noise."""
    rng = np.random.default_rng(seed)
    images = np.zeros((count, SIZE, SIZE, 1), np.float32)
    images[:, :, SIZE // 2:, 0] = rng.uniform(0.0, 0.6, (count, SIZE, SIZE // 2))
    labels = np.arange(count) % 2
    for image, label in zip(images, labels):
        row, col = rng.integers(3, SIZE - 10), rng.integers(1, SIZE // 2 - 8)
        if label == 0:
            image[row, col:col + 7, 0] = 1.0
        else:
            image[row:row + 7, col + 3, 0] = 1.0
    return images, labels


def left_share(maps: np.ndarray) -> np.ndarray:
    """(N,) share of each map's positive mass on the left half."""
    positive = np.maximum(maps, 0.0)
    return positive[:, :, :SIZE // 2].sum(axis=(1, 2)) / positive.sum(axis=(1, 2))
