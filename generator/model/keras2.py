"""Keras 2 model configs made acceptable to Keras 3, without changing what the model computes."""

from __future__ import annotations

# Keras 2 writes Conv2D keys into these layers' configs that Keras 3 rejects
# (unused by the layer, so dropping them loses nothing); a one-item list as
# BatchNormalization's axis, which Keras 3 reads only outside nested models;
# and a functional model's one input or output as a one-item list, which
# Keras 3 keeps as a list (a nested model then hands a list to the next layer).
KERAS2_STALE_KEYS = {
    "SeparableConv2D": ("kernel_initializer", "kernel_regularizer", "kernel_constraint"),
    "DepthwiseConv2D": ("kernel_initializer", "kernel_regularizer", "kernel_constraint", "filters"),
}


def clean_keras2_config(node):
    """A stored Keras 2 model config with each layer config made acceptable to Keras 3."""
    if isinstance(node, list):
        return [clean_keras2_config(item) for item in node]
    if not isinstance(node, dict):
        return node
    cleaned = {key: clean_keras2_config(value) for key, value in node.items()}
    name, config = cleaned.get("class_name"), cleaned.get("config")
    if isinstance(name, str) and isinstance(config, dict):
        cleaned["config"] = _clean_layer_config(name, config)
    return cleaned


def _clean_layer_config(class_name: str, config: dict) -> dict:
    if class_name in ("Functional", "Model"):
        return {key: _single_tensor(value) if key in ("input_layers", "output_layers") else value
                for key, value in config.items()}
    config = {key: value for key, value in config.items()
              if key not in KERAS2_STALE_KEYS.get(class_name, ())}
    if class_name in KERAS2_STALE_KEYS and config.get("groups", 1) == 1:
        config.pop("groups", None)
    axis = config.get("axis")
    if class_name == "BatchNormalization" and isinstance(axis, list) and len(axis) == 1:
        config["axis"] = axis[0]
    return config


def _single_tensor(tensors):
    """[[name, node, index]] as [name, node, index]: one tensor rather than a list of one."""
    if isinstance(tensors, list) and len(tensors) == 1 and isinstance(tensors[0], list):
        return tensors[0]
    return tensors

