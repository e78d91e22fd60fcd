"""A model file's outputs put in the order of `classes` when `model.classes` names the file's own order.

Data labels follow `classes` (a CSV's label codes index it), so a model whose outputs come in
another order (alphabetical, from Keras' flow_from_directory) is reordered rather than relabelled:
the output units of its last weighted layer are permuted, which is the same model trained with
the other order.
"""

from __future__ import annotations

from generator.errors import UserError

# Layers that act on each unit alone: reordering the units before them reorders their outputs.
PER_UNIT = ("Activation", "Softmax", "ReLU", "LeakyReLU", "ELU", "Dropout", "GlobalAveragePooling2D",
            "GlobalMaxPooling2D")
HINT = "list the classes in the model's output order under classes: instead, and remove model.classes"


def output_order(classes, model_classes) -> tuple[int, ...] | None:
    """For each class of `classes`, the model output holding it; None when there is nothing to reorder."""
    if model_classes is None or list(model_classes) == list(classes):
        return None
    return tuple(list(model_classes).index(name) for name in classes)


def reorder_outputs(model, order: tuple[int, ...]) -> None:
    """Permute, in place, the units of the layers from the model's output back to its last Dense or Conv2D,
    so that output i becomes the file's output order[i]."""
    import keras

    layer = model.layers[-1]
    while type(layer).__name__ in PER_UNIT + ("BatchNormalization",):
        if type(layer).__name__ == "BatchNormalization":
            _permute_last_axis(layer, order)
        layer = _inbound_layer(layer)
    if type(layer) not in (keras.layers.Dense, keras.layers.Conv2D):
        raise UserError("model.classes", f"the model's outputs cannot be reordered through its "
                                         f"{type(layer).__name__} layer {layer.name!r}", HINT)
    _permute_last_axis(layer, order)


def _permute_last_axis(layer, order: tuple[int, ...]) -> None:
    weights = layer.get_weights()
    if any(w.shape[-1] != len(order) for w in weights):
        raise UserError("model.classes", f"the model's layer {layer.name!r} does not hold one unit per class", HINT)
    layer.set_weights([w[..., list(order)] for w in weights])


def _inbound_layer(layer):
    """The one layer feeding `layer`."""
    tensor = layer.input
    if isinstance(tensor, (list, tuple)):
        raise UserError("model.classes", f"the model's layer {layer.name!r} has several inputs", HINT)
    return tensor._keras_history.operation
