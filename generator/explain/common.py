"""Pieces every method shares: the linear-output copy of a model, convolution layers, map scaling."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from generator.errors import UserError
from generator.model.folding import folded_copy


def linear_clone(model):
    """A copy of `model` whose output activation is linear (tf-keras-vis's ReplaceToLinear), so
    gradients and scores are taken before softmax, with its batch normalisations folded (see
    folding). Made once per model; at every later call its weights are set from the model's, so
    it follows a model whose weights changed (the randomisation check). The caller's model is
    never changed."""
    return folded_copy(model, linear_output=True)


def conv_layer_names(model) -> list[str]:
    """Names of the model's 2-D convolution layers (Conv2D, SeparableConv2D, ...), in order."""
    import keras

    kinds = (keras.layers.Conv2D, keras.layers.SeparableConv2D, keras.layers.DepthwiseConv2D)
    return [layer.name for layer in model.layers if isinstance(layer, kinds)]


def resolve_conv_layer(model, spec, key: str, default_index: int = -1) -> str:
    """The conv layer named (str) or 1-based numbered (int) by `spec`; None means the default.

    A layer that does not exist is a UserError naming `key` and listing the conv layers.
    """
    names = conv_layer_names(model)
    if not names:
        raise UserError(key, "the model has no convolution layer", "this section needs one")
    listing = ", ".join(names)
    if spec is None:
        return names[default_index] if -len(names) <= default_index < len(names) else names[-1]
    if isinstance(spec, int):
        if 1 <= spec <= len(names):
            return names[spec - 1]
        raise UserError(key, f"there is no convolution layer number {spec}",
                        f"choose 1 to {len(names)}: {listing}")
    if spec in names:
        return spec
    raise UserError(key, f"no convolution layer named {spec!r}", f"choose one of: {listing}")


MERGE_LAYERS = ("Add", "Concatenate", "Multiply", "Average", "Maximum", "Minimum", "Subtract")


@dataclass(frozen=True)
class CamLayer:
    """A layer CAMs can be taken at: its name, grid (height, width) and channels."""

    name: str
    grid: tuple[int, int]
    channels: int


def cam_layer_candidates(model) -> list[CamLayer]:
    """Layers with spatial meaning for class-activation maps, in model order: the response of each
    convolution (after its batch norm and activation) and each merge of branches (a residual
    Add), whose grid is at least 3 x 3 and which has more channels than the model has classes.
    A last convolution with one channel per class (a class-score layer before global pooling)
    is never one: its maps are the class scores themselves, not features."""
    from generator.explain.feature_maps import response_layers

    classes = int(model.output_shape[-1])
    convs = conv_layer_names(model)
    chosen = [response_layers(model, name)[-1] for name in convs if not _is_class_score(model, name, classes)]
    chosen += [layer.name for layer in model.layers if type(layer).__name__ in MERGE_LAYERS]
    out = []
    for layer in model.layers:
        shape = tuple(layer.output.shape)
        if layer.name in chosen and len(shape) == 4 and min(shape[1:3]) >= 3 and shape[3] > classes:
            out.append(CamLayer(layer.name, (int(shape[1]), int(shape[2])), int(shape[3])))
    return out


def _is_class_score(model, conv: str, classes: int) -> bool:
    """The model's last convolution, with one output channel per class."""
    return conv == conv_layer_names(model)[-1] and int(model.get_layer(conv).output.shape[-1]) == classes


def resolve_cam_layer(model, spec, key: str) -> CamLayer:
    """The CAM layer `spec` names: a candidate's name, or a convolution's name or 1-based number
    (its response is taken); None means the deepest candidate. A UserError names `key` otherwise."""
    from generator.explain.feature_maps import response_layers

    candidates = cam_layer_candidates(model)
    by_name = {c.name: c for c in candidates}
    listing = ", ".join(f"{c.name} ({c.grid[0]}x{c.grid[1]})" for c in candidates) or "none"
    if spec is None:
        if not candidates:
            raise UserError(key, "no layer has a grid of at least 3x3 and more channels than classes",
                            "name a layer in methods.cams.layer")
        return candidates[-1]
    if isinstance(spec, str) and spec in by_name:
        return by_name[spec]
    if isinstance(spec, str) and spec not in conv_layer_names(model):
        raise UserError(key, f"{spec!r} is not a layer CAMs can be taken at",
                        f"choose a convolution layer or one of: {listing}")
    conv = resolve_conv_layer(model, spec, key)
    response = response_layers(model, conv)[-1]
    shape = tuple(model.get_layer(response).output.shape)
    return by_name.get(response, CamLayer(response, (int(shape[1]), int(shape[2])), int(shape[3])))


def normalise_maps(maps: np.ndarray, percentile: float = 99.0) -> np.ndarray:
    """Scale each map to [0, 1] for display: clip at its own `percentile`, divide by it.

    Maps are (N, H, W); negative values are taken as zero. A map with zero range
    (a constant image, a dead unit) becomes all zeros instead of NaN.
    """
    maps = np.maximum(np.asarray(maps, dtype=np.float32), 0.0)
    flat = maps.reshape(len(maps), -1)
    top = np.percentile(flat, percentile, axis=1).reshape(-1, *([1] * (maps.ndim - 1)))
    safe = np.where(top > 0, top, 1.0)
    return np.where(top > 0, np.clip(maps / safe, 0.0, 1.0), 0.0).astype(np.float32)


def rescale_each(maps: np.ndarray) -> np.ndarray:
    """Min-max scale each map (N, ...) to [0, 1]; a zero-range map becomes zeros."""
    maps = np.asarray(maps, dtype=np.float32)
    flat = maps.reshape(len(maps), -1)
    low = flat.min(axis=1).reshape(-1, *([1] * (maps.ndim - 1)))
    span = flat.max(axis=1).reshape(-1, *([1] * (maps.ndim - 1))) - low
    return np.where(span > 0, (maps - low) / np.where(span > 0, span, 1.0), 0.0).astype(np.float32)
