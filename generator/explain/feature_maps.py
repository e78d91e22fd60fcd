"""Feature maps: one layer's response to one image, one map per filter in the layer's channel order.

Paper: Zeiler and Fergus 2014, "Visualizing and Understanding Convolutional Networks",
https://arxiv.org/abs/1311.2901.

A filter's response is the conv layer's output carried through the per-channel layers
that directly follow it (BatchNormalization, an activation layer), so a
Conv2D -> BatchNormalization -> ReLU block shows the same rectified maps as a
Conv2D(activation="relu").
"""

from __future__ import annotations

import numpy as np

from generator import usage


def compute_feature_maps(model, layer_name: str, image: np.ndarray) -> np.ndarray:
    """(F, h, w) float32: the raw response of `layer_name`'s filters to `image` (H, W, C)."""
    import keras

    image = np.asarray(image, dtype=np.float32)
    if image.ndim != 3:
        raise ValueError(f"need one image (H, W, C), got shape {image.shape}")
    last = model.get_layer(response_layers(model, layer_name)[-1])
    layer = keras.Model(model.inputs[0], last.output)
    maps = np.asarray(layer(image[None], training=False))[0]
    usage.count(1)
    return np.moveaxis(maps, -1, 0).astype(np.float32)


def activation_layer_types() -> tuple:
    import keras

    return (keras.layers.Activation, keras.layers.ReLU, keras.layers.LeakyReLU, keras.layers.ELU,
            keras.layers.PReLU)


def response_layers(model, layer_name: str) -> list[str]:
    """`layer_name` and the per-channel layers that each alone consume the previous one, in order."""
    import keras

    follows = (keras.layers.BatchNormalization, *activation_layer_types())
    chain = [model.get_layer(layer_name)]
    while True:
        after = [layer for layer in model.layers if _input_of(layer) is chain[-1].output]
        if len(after) != 1 or not isinstance(after[0], follows) or len(chain) > 4:
            return [layer.name for layer in chain]
        chain.append(after[0])


def _input_of(layer):
    try:
        return layer.input
    except (AttributeError, ValueError):  # shared layers have no single input
        return None
