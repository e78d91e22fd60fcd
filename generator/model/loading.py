"""Loading a user's own Keras model safely: refuse code before deserialising, then check its shapes."""

from __future__ import annotations

import json
import shutil
import tempfile
import warnings
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from generator.errors import UserError
from generator.model.keras2 import clean_keras2_config
from generator.model.rebuild import (
    as_flat_functional,
    make_lambdas_clonable,
    output_layer,
    single_input_shape,
    unique_name,
)
from generator.model.weights import (
    KERAS3,
    find_weights_file,
    is_keras2_config,
    weights_layout,
    whole_model_file,
)

FORMATS = {".keras": "zip", ".h5": "hdf5", ".hdf5": "hdf5", ".json": "json"}
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
    ("softmax" or "logits"); `notes` name each change made.
    """

    model: Any
    input_shape: tuple[int, int, int]
    output_kind: str
    notes: tuple[str, ...]


def load_user_model(path, class_count: int, unsafe: bool = False, weights=None) -> LoadedModel:
    """Load a `.keras` or legacy `.h5`/`.hdf5` classifier, or an architecture `.json`
    (model.to_json(), Keras 2 or 3) with its weights, without changing the files.

    A JSON's weights are `weights` (Keras 2 save_weights `.h5` or Keras 3 `.weights.h5`),
    else the file of the same stem beside it (`model.json` -> `model.h5` / `model.weights.h5`).

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
    if FORMATS[path.suffix.lower()] == "json":
        model, cleaned = _load_with_weights(path, config, unsafe, None if weights is None else Path(weights))
    else:
        model, cleaned = _deserialise(path, config, unsafe)
    if unsafe:
        make_lambdas_clonable(model)
    model, notes = as_flat_functional(path, model)
    notes = cleaned + notes
    input_shape = _check_shapes(path, model, class_count)
    output_kind = _output_kind(path, output_layer(model))
    if output_kind == "logits":
        model, notes = _append_softmax(model), notes + ("softmax-applied",)
    return LoadedModel(model=model, input_shape=input_shape, output_kind=output_kind, notes=notes)


# --- the stored configuration, read without deserialising -------------------------------

def read_model_config(path: Path) -> dict:
    """The model configuration stored in the file (a dict), read as plain JSON.

    `.keras`: the zip's `config.json`; `.h5`/`.hdf5`: the `model_config` attribute; `.json`: the file.
    """
    if not path.is_file():
        raise UserError(path, "no such model file", "check the model path in the configuration")
    kind = FORMATS.get(path.suffix.lower())
    if kind is None:
        raise UserError(path, f"unsupported model file type {path.suffix!r}",
                        "save the model as .keras (Keras 3) or .h5, or its architecture as .json")
    try:
        text = _CONFIG_READERS[kind](path)
        config = json.loads(text)
    except UserError:
        raise
    except Exception as error:  # any unreadable file is the user's to fix
        raise UserError(path, f"is not a readable {path.suffix} model file ({_short(error)})",
                        "the file may be truncated or not a Keras model") from None
    if not isinstance(config, dict) or "class_name" not in config:
        hint = "write it with model.to_json()" if kind == "json" else "save the whole model, not only weights"
        raise UserError(path, "holds no model configuration", hint)
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
                        "pass the architecture JSON (model.to_json()) as model.path and this file as model.weights")
    return text.decode("utf-8") if isinstance(text, bytes) else str(text)


_CONFIG_READERS = {"zip": _zip_config, "hdf5": _hdf5_config,
                   "json": lambda path: path.read_text(encoding="utf-8-sig")}


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
    try:
        return _keras_load(source, unsafe)
    except Exception as error:  # Keras raises many kinds; the user gets one line
        raise UserError(path, f"could not be loaded as a Keras model ({_short(error)})",
                        "check that the file is a complete Keras model saved with model.save") from None


def _keras_load(source: Path, unsafe: bool):
    import keras

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "Do not pass an `input_shape`", UserWarning)
        return keras.saving.load_model(source, compile=False, safe_mode=not unsafe)


def _load_with_weights(path: Path, config: dict, unsafe: bool, weights: Path | None):
    """The model of an architecture JSON and its weights file, and notes.

    Both go into one temporary whole-model file that Keras loads as it loads a saved model
    (see `whole_model_file`), so the architecture and weights checks are Keras's own.
    """
    keras2 = is_keras2_config(config)
    weights = find_weights_file(path, weights, keras2)
    layout = weights_layout(weights)
    if keras2 and layout == KERAS3:
        raise UserError(weights, f"holds Keras 3 weights but {path.name} is a Keras 2 architecture",
                        "save the architecture and the weights with the same Keras")
    cleaned = clean_keras2_config(config)
    with tempfile.TemporaryDirectory() as folder:
        source = whole_model_file(cleaned, weights, layout, Path(folder))
        try:
            model = _keras_load(source, unsafe)
        except Exception as error:  # Keras raises many kinds; the user gets one line
            raise _pair_error(path, weights, error) from None
    return model, ("keras2-config-cleaned",) if cleaned != config else ()


def _pair_error(path: Path, weights: Path, error: Exception) -> UserError:
    """Weights that do not fit the architecture (Keras says mismatch or could not be loaded),
    or an architecture Keras cannot build."""
    message = str(error)
    if "mismatch" in message or "could not be loaded" in message:
        return UserError(weights, f"does not fit the architecture in {path.name} ({_short(error)})",
                         "use the weights saved from the same model as the architecture")
    return UserError(path, f"could not be loaded as a Keras architecture ({_short(error)})",
                     "check that the file was written by model.to_json()")


# --- checks ---------------------------------------------------------------------------------

def _check_shapes(path: Path, model, class_count: int) -> tuple[int, int, int]:
    """The (H, W, C) input shape, after checking the input is an image and the class count."""
    shape = single_input_shape(path, model)
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
    probabilities = keras.layers.Activation("softmax", name=unique_name("probabilities", names))
    return keras.Model(model.inputs[0], probabilities(model.outputs[0]), name=model.name)


def _short(error: Exception) -> str:
    """The first line of an exception's message, at most 160 characters."""
    text = str(error).strip().splitlines()
    first = text[0] if text else type(error).__name__
    return first if len(first) <= 160 else first[:157] + "..."
