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
    if name == "Sequential":
        cleaned["config"] = _sequential_config(config)
    elif isinstance(name, str) and isinstance(config, dict):
        cleaned["config"] = _clean_layer_config(name, config)
    return cleaned


def _sequential_config(config):
    """A Sequential's config as Keras 3 reads it: named, starting with an InputLayer that holds the shape.

    Keras 2.0-2.2 wrote the config as the list of layers; Keras 2.0-2.3 gave the input shape
    (batch_input_shape) to the first layer only. Keras 2.13+ model.to_json() marks each layer
    with a module, and Keras 3 builds such a layer without the legacy reader that drops a
    batch_input_shape, so the key is dropped here (the InputLayer holds the shape).
    """
    if isinstance(config, list):
        config = {"name": "sequential", "layers": config}
    layers = config.get("layers") if isinstance(config, dict) else None
    if not layers or not all(isinstance(layer, dict) for layer in layers):
        return config
    if layers[0].get("class_name") != "InputLayer" and "batch_input_shape" in layers[0].get("config", {}):
        first = layers[0]["config"]
        layers = [{"class_name": "InputLayer", "config": {
            "batch_input_shape": first["batch_input_shape"], "dtype": first.get("dtype", "float32"),
            "name": f"{first.get('name', 'input')}_input"}}, *layers]
        layers[1] = _without_batch_shape(layers[1])
    layers = [_without_batch_shape(layer) if "module" in layer and layer.get("class_name") != "InputLayer"
              else layer for layer in layers]
    return {**config, "layers": layers}


def _without_batch_shape(layer: dict) -> dict:
    config = {key: value for key, value in layer.get("config", {}).items() if key != "batch_input_shape"}
    return {**layer, "config": config}


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
