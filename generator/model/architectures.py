"""The report's own CNN architectures (Keras functional API)."""

from __future__ import annotations


def build_model(arch: str, input_shape: tuple[int, int, int], class_count: int):
    """`small`: a compact CNN for the synthetic default; `vgg`: a VGG-style net for real FER2013.

    Each block is conv (no bias) -> batch norm -> ReLU, then 2x2 max pooling. `small`
    has three conv layers (32, 64, 64 filters): the third is the filter section's default.
    """
    import keras
    from keras import layers

    blocks = {"small": [(32, 1), (64, 1), (64, 1)], "vgg": [(64, 2), (128, 2), (256, 2), (512, 2)]}[arch]
    block_dropout, dense, dense_dropout = {"small": (0.0, 64, 0.3), "vgg": (0.25, 512, 0.5)}[arch]
    inputs = keras.Input(shape=input_shape, name="image")
    x = inputs
    for b, (filters, convs) in enumerate(blocks, start=1):
        for c in range(1, convs + 1):
            x = layers.Conv2D(filters, 3, padding="same", use_bias=False, name=f"conv{b}_{c}")(x)
            x = layers.BatchNormalization(momentum=0.9, name=f"bn{b}_{c}")(x)
            x = layers.Activation("relu", name=f"relu{b}_{c}")(x)
        x = layers.MaxPooling2D(2, name=f"pool{b}")(x)
        if block_dropout:
            x = layers.Dropout(block_dropout, name=f"drop{b}")(x)
    x = layers.Flatten(name="flatten")(x)
    x = layers.Dropout(dense_dropout, name="drop_flat")(x)
    x = layers.Dense(dense, activation="relu", name="dense")(x)
    outputs = layers.Dense(class_count, activation="softmax", name="predictions")(x)
    return keras.Model(inputs, outputs, name=f"{arch}_cnn")
