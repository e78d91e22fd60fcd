"""An architecture JSON's weights file: found, recognised, and joined with the JSON into one model file."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from generator.errors import UserError

KERAS2 = "keras2"   # model.save_weights("x.h5") in Keras 2: layer names -> weight names
KERAS3 = "keras3"   # model.save_weights("x.weights.h5") in Keras 3: layers/<name>/vars/<index>


def is_keras2_config(config: dict) -> bool:
    """Keras 2's model.to_json() has no module at its top; Keras 3's has one ("keras")."""
    return "module" not in config


def find_weights_file(architecture: Path, weights: Path | None, keras2: bool) -> Path:
    """`weights` when given, else the file with the architecture's stem beside it (x.h5, x.weights.h5)."""
    if weights is not None:
        if not weights.is_file():
            raise UserError(weights, "no such weights file", "check model.weights in the configuration")
        return weights
    suffixes = (".h5", ".weights.h5") if keras2 else (".weights.h5", ".h5")
    beside = [architecture.with_suffix(suffix) for suffix in suffixes]
    for candidate in beside:
        if candidate.is_file():
            return candidate
    raise UserError(architecture, f"has no weights file beside it (looked for {beside[0].name} and {beside[1].name})",
                    f"save the weights as {beside[0]} or set model.weights to their file")


def weights_layout(path: Path) -> str:
    """KERAS2 or KERAS3: how the weights file is laid out."""
    import h5py

    try:
        with h5py.File(path, "r") as handle:
            if "layer_names" in handle.attrs or "model_weights" in handle:
                return KERAS2
            if "layers" in handle or "vars" in handle:
                return KERAS3
    except OSError as error:
        raise UserError(path, f"is not a readable HDF5 weights file ({str(error).splitlines()[0][:120]})",
                        "use the file written by model.save_weights") from None
    raise UserError(path, "holds no Keras weights", "use the file written by model.save_weights")


def whole_model_file(config: dict, weights: Path, layout: str, folder: Path) -> Path:
    """The architecture and weights as one file Keras loads as a whole model, written in `folder`.

    Keras 2 weights become a legacy .h5 model (model_config plus a model_weights group), which
    Keras 3 reads layer by layer in order, checking counts and shapes, as Keras 2 did; Keras 3
    weights become a Keras model folder (config.json plus model.weights.h5).
    """
    if layout == KERAS2:
        return _legacy_h5(config, weights, folder / "model.h5")
    model = folder / "model"
    model.mkdir()
    (model / "config.json").write_text(json.dumps(config), encoding="utf-8")
    shutil.copyfile(weights, model / "model.weights.h5")
    return model


def _legacy_h5(config: dict, weights: Path, target: Path) -> Path:
    import h5py

    with h5py.File(weights, "r") as source, h5py.File(target, "w") as handle:
        stored = source["model_weights"] if "layer_names" not in source.attrs and "model_weights" in source \
            else source
        group = handle.create_group("model_weights")
        for name in stored:
            source.copy(stored[name], group, name)
        for key, value in stored.attrs.items():
            group.attrs[key] = value
        handle.attrs["model_config"] = json.dumps(config)
    return target
