"""Images to model inputs: resizing, channel adaptation and value scaling."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np


def adapt_images(images: np.ndarray, input_shape) -> np.ndarray:
    """Images (N, h, w, c) resized (bilinear, tf.image.resize) to the model's (H, W) and channels.

    One channel is replicated to three for an RGB model; three become one
    (ITU-R 601 luma, tf.image.rgb_to_grayscale) for a grayscale model.
    Values keep their range. Returns float32 (N, H, W, C).
    """
    import tensorflow as tf

    images = np.asarray(images, dtype=np.float32)
    height, width, channels = (int(s) for s in input_shape)
    if images.shape[1:3] != (height, width):
        images = tf.image.resize(images, (height, width), method="bilinear").numpy()
    have = images.shape[-1]
    if have == channels:
        return images.astype(np.float32)
    if have == 1 and channels == 3:
        return np.repeat(images, 3, axis=-1).astype(np.float32)
    if have == 3 and channels == 1:
        return tf.image.rgb_to_grayscale(images).numpy().astype(np.float32)
    raise ValueError(f"cannot turn {have}-channel images into {channels}-channel ones")


def scale_images(images: np.ndarray, input_scale="0-1") -> np.ndarray:
    """Images in [0, 1] mapped to the value range the model was trained on.

    "0-1" (default): unchanged; "-1-1": 2x - 1; "0-255": 255x;
    {"mean": m, "std": s}: (255x - m) / s, i.e. mean and std are given in 0-255
    pixel units (scalars, or one value per channel). Returns float32.
    """
    images = np.asarray(images, dtype=np.float32)
    if isinstance(input_scale, Mapping):
        mean = np.asarray(input_scale["mean"], dtype=np.float32)
        std = np.asarray(input_scale["std"], dtype=np.float32)
        if np.any(std <= 0):
            raise ValueError(f"std must be positive, got {input_scale['std']!r}")
        return ((images * 255.0 - mean) / std).astype(np.float32)
    if input_scale == "0-1":
        return images.copy()
    if input_scale == "-1-1":
        return images * 2.0 - 1.0
    if input_scale == "0-255":
        return images * 255.0
    raise ValueError(f"unknown input scale {input_scale!r}: use '0-1', '-1-1', '0-255' or mean/std")
