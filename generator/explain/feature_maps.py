"""Feature maps: one layer's output for one image, one map per filter in the layer's channel order.

Paper: Zeiler and Fergus 2014, "Visualizing and Understanding Convolutional Networks",
https://arxiv.org/abs/1311.2901.
"""

from __future__ import annotations

import numpy as np


def compute_feature_maps(model, layer_name: str, image: np.ndarray) -> np.ndarray:
    """(F, h, w) float32: the raw output of `layer_name` (after its activation) for `image` (H, W, C)."""
    import keras

    image = np.asarray(image, dtype=np.float32)
    if image.ndim != 3:
        raise ValueError(f"need one image (H, W, C), got shape {image.shape}")
    layer = keras.Model(model.inputs[0], model.get_layer(layer_name).output)
    maps = np.asarray(layer(image[None], training=False))[0]
    return np.moveaxis(maps, -1, 0).astype(np.float32)
