"""Rebuilding a loaded model as one flat functional model that every explanation method can use."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from generator.errors import UserError


def make_lambdas_clonable(model) -> None:
    """Let Lambda layers of a trusted model be cloned without safe mode (the explainers run on a
    clone, see model/folding.py)."""
    import keras

    for layer in model.layers:
        if isinstance(layer, keras.Model):
            make_lambdas_clonable(layer)
        elif type(layer) is keras.layers.Lambda:
            layer.__class__ = _trusted_lambda_class()


@functools.cache
def _trusted_lambda_class():
    import keras

    class TrustedLambda(keras.layers.Lambda):
        """A Lambda from a file the user trusts: re-created from its config without safe mode."""

        @classmethod
        def from_config(cls, config, custom_objects=None, safe_mode=None):
            return super().from_config(config, custom_objects, safe_mode=False)

    return TrustedLambda


def as_flat_functional(path: Path, model):
    """A functional model whose every layer is a plain layer (no model inside), with notes."""
    import keras

    notes = []
    if isinstance(model, keras.Sequential):
        notes.append("sequential-rebuilt")
    if any(isinstance(layer, keras.Model) for layer in model.layers):
        notes.append("nested-flattened")
    final = output_layer(model)
    softmax = final if isinstance(final, keras.layers.Softmax) and _last_axis(final) else None
    if softmax is not None:
        notes.append("softmax-layer-as-activation")
    if any(_is_strided_pointwise(layer) for layer in _all_layers(model)):
        notes.append("strided-1x1-conv-split")
    if not notes:
        return _single_tensor_model(model), ()
    inputs = keras.Input(shape=single_input_shape(path, model), name="image")
    outputs = keras.tree.flatten(_replay(model, inputs, _Rebuild({"image"}, softmax)))
    if len(outputs) != 1:
        raise UserError(path, f"the model has {len(outputs)} outputs", "use a model with one output")
    return keras.Model(inputs, outputs[0], name=model.name), tuple(notes)


def _all_layers(model):
    """Every plain layer of the model, inside nested models too."""
    import keras

    for layer in model.layers:
        if isinstance(layer, keras.Model):
            yield from _all_layers(layer)
        else:
            yield layer


def _is_strided_pointwise(layer) -> bool:
    """A 1x1 Conv2D with stride > 1 (a residual shortcut).

    TensorFlow's oneDNN CPU kernels corrupt memory in its gradient when it has
    fewer input channels than their block (16 with AVX-512), which crashes every
    gradient method; subsampling first, then a stride-1 1x1 conv, is the same
    function and avoids that kernel (oneDNN issue #6035).
    """
    import keras

    if type(layer) is not keras.layers.Conv2D:
        return False
    config = layer.get_config()
    return (tuple(config["kernel_size"]) == (1, 1) and tuple(config["strides"]) != (1, 1)
            and tuple(config["dilation_rate"]) == (1, 1))


def _single_tensor_model(model):
    """The same graph taking and giving one tensor, not a list of one (Keras warns on every call)."""
    import keras

    if len(model.inputs) == 1 and len(model.outputs) == 1:
        return keras.Model(model.inputs[0], model.outputs[0], name=model.name)
    return model


def output_layer(model):
    """The layer that computes the model's output, looking inside nested models."""
    import keras

    while isinstance(model, keras.Model):
        if isinstance(model, keras.Sequential):
            model = model.layers[-1]
        else:
            model = model.get_layer(model.output_names[0])
    return model


def _last_axis(layer) -> bool:
    axis = layer.get_config().get("axis", -1)
    return axis in (-1, 1, [-1], [1])


@dataclass
class _Rebuild:
    """What a rebuild carries along: the layer names taken, and the output Softmax layer to replace."""

    used: set
    softmax: Any


def _replay(model, tensors, rebuild: _Rebuild):
    """Apply fresh copies of the model's layers (sub-models inlined) to new tensors."""
    import keras

    if isinstance(model, keras.Sequential):
        for layer in model.layers:
            tensors = _apply(layer, rebuild, tensors)
        return tensors
    return model._run_through_graph(tensors, operation_fn=lambda op: _applier(op, rebuild))


def _applier(layer, rebuild: _Rebuild):
    return lambda *args, **kwargs: _apply(layer, rebuild, *args, **kwargs)


def _apply(layer, rebuild: _Rebuild, *args, **kwargs):
    """Call a fresh copy of `layer` (same config and weights, unique name), or inline a sub-model.

    The output Softmax layer becomes Activation("softmax"), the form whose
    `activation` tf-keras-vis ReplaceToLinear can set to linear; a strided 1x1
    Conv2D becomes subsampling (MaxPooling2D of size 1) and a stride-1 copy.
    """
    import keras

    if isinstance(layer, keras.Model):
        return _replay(layer, args[0], rebuild)
    name = unique_name(layer.name, rebuild.used)
    if layer is rebuild.softmax:
        return keras.layers.Activation("softmax", name=name)(args[0])
    config = layer.get_config()
    config["name"] = name
    for key in ("input_shape", "batch_input_shape", "batch_shape"):
        config.pop(key, None)  # the copy is called on a tensor
    if _is_strided_pointwise(layer):
        subsample = keras.layers.MaxPooling2D(
            1, strides=config["strides"], data_format=config["data_format"],
            name=unique_name(f"{name}_subsample", rebuild.used))
        args = (subsample(args[0]), *args[1:])
        config.update(strides=(1, 1), padding="valid")
    copy = type(layer).from_config(config)
    outputs = copy(*args, **kwargs)
    copy.set_weights(layer.get_weights())
    return outputs


def unique_name(name: str, used: set) -> str:
    candidate, number = name, 1
    while candidate in used:
        number += 1
        candidate = f"{name}_{number}"
    used.add(candidate)
    return candidate


def single_input_shape(path: Path, model) -> tuple:
    shapes = model.input_shape
    if isinstance(shapes, list) and len(shapes) == 1:
        shapes = shapes[0]
    if not isinstance(shapes, tuple) or any(isinstance(s, (tuple, list)) for s in shapes):
        raise UserError(path, "the model has more than one input", "use a model with one image input")
    return tuple(shapes[1:])

