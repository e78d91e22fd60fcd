"""Loading a user's own Keras model safely, and adapting it and its inputs for every explanation method."""

from __future__ import annotations

import functools
import json
import shutil
import tempfile
import warnings
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from generator.errors import UserError

FORMATS = {".keras": "zip", ".h5": "hdf5", ".hdf5": "hdf5"}
CODE_LAYERS = ("Lambda", "TFOpLambda", "SlicingOpLambda", "TFSMLayer",
               "TorchModuleWrapper", "JaxLayer", "FlaxLayer")
UNSAFE_HINT = "pass --unsafe-model to load it if you trust the file"
MODEL_CLASSES = ("Functional", "Sequential", "Model")


@dataclass(frozen=True)
class LoadedModel:
    """A user's model ready for explanation.

    `model` is a functional Keras 3 model whose output is probabilities (softmax
    as the last layer's activation, so ReplaceToLinear on `model.layers[-1]` gives
    logits); `input_shape` is (H, W, C); `output_kind` is what the file had
    ("softmax" or "logits"); `notes` name each change made; `has_conv` says
    whether a 2-D convolution is reachable in `model.layers`.
    """

    model: Any
    input_shape: tuple[int, int, int]
    output_kind: str
    notes: tuple[str, ...]
    has_conv: bool


def load_user_model(path, class_count: int, unsafe: bool = False) -> LoadedModel:
    """Load a `.keras` or legacy `.h5`/`.hdf5` classifier without changing the file.

    Safe by default: a model holding arbitrary code (Lambda and similar layers,
    custom objects) is refused from its stored configuration, before anything
    is deserialised; `unsafe=True` loads it with Keras `safe_mode=False`.
    Sequential and nested models are rebuilt as one flat functional model;
    a Softmax layer at the end becomes Activation("softmax"); a strided 1x1
    Conv2D is split into subsampling and a stride-1 conv (same function; see
    `_is_strided_pointwise`); a model that outputs logits gets a softmax
    appended. Every problem is a UserError.
    """
    path = Path(path)
    config = read_model_config(path)
    if not unsafe:
        reason = describe_unsafe_content(config)
        if reason:
            raise UserError(path, reason, UNSAFE_HINT)
    model, cleaned = _deserialise(path, config, unsafe)
    if unsafe:
        _make_lambdas_clonable(model)
    model, notes = _as_flat_functional(path, model)
    notes = cleaned + notes
    input_shape = _check_shapes(path, model, class_count)
    output_kind = _output_kind(path, _output_layer(model))
    if output_kind == "logits":
        model, notes = _append_softmax(model), notes + ("softmax-applied",)
    from generator.explain.common import conv_layer_names

    return LoadedModel(model=model, input_shape=input_shape, output_kind=output_kind,
                       notes=notes, has_conv=bool(conv_layer_names(model)))


# --- the stored configuration, read without deserialising -------------------------------

def read_model_config(path: Path) -> dict:
    """The model configuration stored in the file (a dict), read as plain JSON.

    `.keras`: the zip's `config.json`; `.h5`/`.hdf5`: the `model_config` attribute.
    """
    if not path.is_file():
        raise UserError(path, "no such model file", "check the model path in the configuration")
    kind = FORMATS.get(path.suffix.lower())
    if kind is None:
        raise UserError(path, f"unsupported model file type {path.suffix!r}",
                        "save the model as .keras (Keras 3) or .h5")
    try:
        text = _zip_config(path) if kind == "zip" else _hdf5_config(path)
        config = json.loads(text)
    except UserError:
        raise
    except Exception as error:  # any unreadable file is the user's to fix
        raise UserError(path, f"is not a readable {path.suffix} model file ({_short(error)})",
                        "the file may be truncated or not a Keras model") from None
    if not isinstance(config, dict) or "class_name" not in config:
        raise UserError(path, "holds no model configuration", "save the whole model, not only weights")
    return config


def _zip_config(path: Path) -> str:
    with zipfile.ZipFile(path) as archive:
        if "config.json" not in archive.namelist():
            raise UserError(path, "has no config.json, so it is not a Keras model archive",
                            "save the model with model.save(path) in Keras 3")
        return archive.read("config.json").decode("utf-8")


def _hdf5_config(path: Path) -> str:
    import h5py

    with h5py.File(path, "r") as handle:
        text = handle.attrs.get("model_config")
    if text is None:
        raise UserError(path, "has no model_config, so it holds weights only",
                        "save the whole model with model.save(path)")
    return text.decode("utf-8") if isinstance(text, bytes) else str(text)


def describe_unsafe_content(config: dict) -> str | None:
    """Why loading this stored configuration would run arbitrary code, or None if it would not."""
    import keras

    def walk(node, in_layers=False):
        if isinstance(node, list):
            for item in node:
                found = walk(item, in_layers)
                if found:
                    return found
            return None
        if not isinstance(node, dict):
            return None
        name, module = node.get("class_name"), node.get("module")
        if name in CODE_LAYERS:
            return f"the model contains a {name} layer, which runs arbitrary code when loaded"
        if name == "__lambda__":
            return "the model contains a Python lambda function, which runs arbitrary code when loaded"
        if isinstance(name, str) and isinstance(module, str) and not _is_keras_module(module):
            return f"the model contains a custom object {name!r} from {module!r}, which runs code when loaded"
        if in_layers and isinstance(name, str) and name not in MODEL_CLASSES and not _is_keras_layer(keras, name):
            return f"the model contains a custom layer {name!r}, which runs code when loaded"
        for key, value in node.items():
            if key not in ("compile_config", "inbound_nodes", "build_config"):
                found = walk(value, key == "layers")
                if found:
                    return found
        return None

    return walk(config)


def _is_keras_module(module: str) -> bool:
    return module == "keras" or module.startswith("keras.")


def _is_keras_layer(keras, name: str) -> bool:
    found = getattr(keras.layers, name, None)
    return isinstance(found, type) and issubclass(found, keras.layers.Layer)


# --- deserialising and rebuilding --------------------------------------------------------

def _deserialise(path: Path, config: dict, unsafe: bool):
    """The Keras model in the file, and notes; a Keras 2 config Keras 3 rejects is cleaned first.

    The cleaned config goes into a temporary copy of the file: the user's file is never written.
    """
    if FORMATS[path.suffix.lower()] == "hdf5":
        cleaned = clean_keras2_config(config)
        if cleaned != config:
            import h5py

            with tempfile.TemporaryDirectory() as folder:
                copy = Path(folder) / path.name
                shutil.copyfile(path, copy)
                with h5py.File(copy, "r+") as handle:
                    handle.attrs["model_config"] = json.dumps(cleaned)
                return _load(path, copy, unsafe), ("keras2-config-cleaned",)
    return _load(path, path, unsafe), ()


def _load(path: Path, source: Path, unsafe: bool):
    import keras

    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", "Do not pass an `input_shape`", UserWarning)
            return keras.saving.load_model(source, compile=False, safe_mode=not unsafe)
    except Exception as error:  # Keras raises many kinds; the user gets one line
        raise UserError(path, f"could not be loaded as a Keras model ({_short(error)})",
                        "check that the file is a complete Keras model saved with model.save") from None


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


def _make_lambdas_clonable(model) -> None:
    """Let Lambda layers of a trusted model be cloned (tf-keras-vis clones models) without safe mode."""
    import keras

    for layer in model.layers:
        if isinstance(layer, keras.Model):
            _make_lambdas_clonable(layer)
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


def _as_flat_functional(path: Path, model):
    """A functional model whose every layer is a plain layer (no model inside), with notes."""
    import keras

    notes = []
    if isinstance(model, keras.Sequential):
        notes.append("sequential-rebuilt")
    if any(isinstance(layer, keras.Model) for layer in model.layers):
        notes.append("nested-flattened")
    final = _output_layer(model)
    softmax = final if isinstance(final, keras.layers.Softmax) and _last_axis(final) else None
    if softmax is not None:
        notes.append("softmax-layer-as-activation")
    if any(_is_strided_pointwise(layer) for layer in _all_layers(model)):
        notes.append("strided-1x1-conv-split")
    if not notes:
        return _single_tensor_model(model), ()
    inputs = keras.Input(shape=_single_input_shape(path, model), name="image")
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


def _output_layer(model):
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
    name = _unique(layer.name, rebuild.used)
    if layer is rebuild.softmax:
        return keras.layers.Activation("softmax", name=name)(args[0])
    config = layer.get_config()
    config["name"] = name
    for key in ("input_shape", "batch_input_shape", "batch_shape"):
        config.pop(key, None)  # the copy is called on a tensor
    if _is_strided_pointwise(layer):
        subsample = keras.layers.MaxPooling2D(
            1, strides=config["strides"], data_format=config["data_format"],
            name=_unique(f"{name}_subsample", rebuild.used))
        args = (subsample(args[0]), *args[1:])
        config.update(strides=(1, 1), padding="valid")
    copy = type(layer).from_config(config)
    outputs = copy(*args, **kwargs)
    copy.set_weights(layer.get_weights())
    return outputs


def _unique(name: str, used: set) -> str:
    candidate, number = name, 1
    while candidate in used:
        number += 1
        candidate = f"{name}_{number}"
    used.add(candidate)
    return candidate


def _single_input_shape(path: Path, model) -> tuple:
    shapes = model.input_shape
    if isinstance(shapes, list) and len(shapes) == 1:
        shapes = shapes[0]
    if not isinstance(shapes, tuple) or any(isinstance(s, (tuple, list)) for s in shapes):
        raise UserError(path, "the model has more than one input", "use a model with one image input")
    return tuple(shapes[1:])


def _check_shapes(path: Path, model, class_count: int) -> tuple[int, int, int]:
    """The (H, W, C) input shape, after checking the input is an image and the class count."""
    shape = _single_input_shape(path, model)
    if len(shape) != 3 or None in shape[:2]:
        raise UserError(path, f"the model's input shape {shape} is not a fixed (height, width, channels)",
                        "save the model with a fixed image input such as (48, 48, 1)")
    if shape[2] not in (1, 3):
        raise UserError(path, f"the model expects {shape[2]} channels", "use a grayscale (1) or RGB (3) model")
    output = tuple(model.output_shape[1:]) if not isinstance(model.output_shape, list) else None
    if output is None or len(output) != 1:
        raise UserError(path, f"the model's output shape {model.output_shape} is not (batch, classes)",
                        "use a classifier with one output vector")
    if output[0] != class_count:
        raise UserError(path, f"the model outputs {output[0]} classes but the configuration names {class_count}",
                        "list the model's classes in the configuration, in its output order")
    return tuple(int(s) for s in shape)


def _output_kind(path: Path, layer) -> str:
    """"softmax" when the last layer's activation is softmax, "logits" when it is linear or absent."""
    activation = getattr(layer, "activation", None)
    name = getattr(activation, "__name__", None) if activation is not None else None
    if name == "softmax":
        return "softmax"
    if name in (None, "linear", "log_softmax"):
        return "logits"
    raise UserError(path, f"the model's last layer {layer.name!r} uses the {name} activation",
                    "explanations need a softmax (probabilities) or linear (logits) output")


def _append_softmax(model):
    """The same model with Activation("softmax") after its logits."""
    import keras

    names = {layer.name for layer in model.layers}
    probabilities = keras.layers.Activation("softmax", name=_unique("probabilities", names))
    return keras.Model(model.inputs[0], probabilities(model.outputs[0]), name=model.name)


def _short(error: Exception) -> str:
    """The first line of an exception's message, at most 160 characters."""
    text = str(error).strip().splitlines()
    first = text[0] if text else type(error).__name__
    return first if len(first) <= 160 else first[:157] + "..."


# --- inputs ---------------------------------------------------------------------------------

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
