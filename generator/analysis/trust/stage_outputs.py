"""The outputs of a model, trained and after several points of a cascading randomisation, for one batch at a time.

A randomisation point leaves every layer below its randomised layers as trained, so the
activations that feed the randomised part are those of the trained model. They are computed
once per batch, by one compiled model holding the trained output and every point's entry
tensors, and each point runs only its randomised part from there: a method that sends the
same images through the model at every point (LIME) costs one trained pass plus the
randomised parts, instead of one whole pass per point and one for the trained model. With
the 48x48 default CNN and its five stages, the model work is about 3.2 whole passes
instead of 6 (the head stages cost almost nothing).
"""

from __future__ import annotations

import numpy as np

from generator.model.folding import folded_copy

Tensor = tuple[str, int]   # a layer's output: (layer name, output index)
INPUT: Tensor = ("", 0)    # the model's input (a copy's input layer has another name)


def split_model(model, randomised: set[str]) -> tuple[list[Tensor], set[str]] | None:
    """(entry, changed): the trained tensors that feed the part of `model` that changes when the
    layers `randomised` are re-initialised, and the names of that part's layers (the randomised
    layers and every layer downstream of one). None when the model cannot be split there: a layer
    called more than once, or an output that does not change."""
    changed: set[str] = set()
    entry: list[Tensor] = []
    for layer in model.layers:
        nodes = getattr(layer, "_inbound_nodes", [])
        if len(nodes) != 1:
            return None
        sources = [tensor._keras_history for tensor in nodes[0].input_tensors]
        if layer.name in randomised or any(source.operation.name in changed for source in sources):
            changed.add(layer.name)
            entry += [t for t in map(_tensor_of, sources) if t[0] not in changed and t not in entry]
    outputs = {tensor._keras_history.operation.name for tensor in model.outputs}
    return (entry, changed) if outputs <= changed else None


class StageOutputs:
    """callable(batch (B, H, W, C)) -> (1 + P, B, K): `trained`'s outputs, then `randomised`'s at
    each of P points of a cascade, point p running from the trained tensors `entries[p]`.

    `randomised` is the copy of `trained` after the whole cascade; a point's randomised part must
    hold only layers re-initialised by that point (see `cascade_splits`)."""

    def __init__(self, trained, randomised, entries: list[list[Tensor]]):
        import keras
        import tensorflow as tf

        trained, randomised = folded_copy(trained), folded_copy(randomised)
        self.needed = list(dict.fromkeys(t for entry in entries for t in entry if t != INPUT))
        self.entries = entries
        needed = [_tensor(trained, t) for t in self.needed]
        self._lower = keras.Model(trained.inputs[0], [trained.outputs[0], *needed])
        self._parts = [keras.Model(_one_or_list([_tensor(randomised, t) for t in entry]), randomised.outputs[0])
                       for entry in entries]
        shape = tuple(int(size) for size in trained.inputs[0].shape[1:])
        self._outputs = tf.function(self._batch_outputs, input_signature=[tf.TensorSpec((None, *shape), tf.float32)])

    def __call__(self, batch: np.ndarray):
        """The outputs for `batch`, in one compiled call: the trained model with the tensors the
        points start from, then each point's randomised part."""
        return np.asarray(self._outputs(np.asarray(batch, dtype=np.float32)))

    def _batch_outputs(self, batch):
        import tensorflow as tf

        trained, *lower = _as_list(self._lower(batch, training=False))
        values = {**dict(zip(self.needed, lower)), INPUT: batch}
        return tf.stack([trained] + [part(_one_or_list([values[t] for t in entry]), training=False)
                                     for part, entry in zip(self._parts, self.entries)])


def cascade_splits(model, stages, points) -> list[list[Tensor]] | None:
    """The entry tensors of each point (an index into `stages`: after it, stages[:point + 1] are
    random), or None when some point's randomised part would hold a layer of a later stage, or
    the model cannot be split (then every point needs the whole model)."""
    entries = []
    for point in points:
        split = split_model(model, {name for stage in stages[:point + 1] for name in stage})
        later = {name for stage in stages[point + 1:] for name in stage}
        if split is None or split[1] & later:
            return None
        entries.append(split[0])
    return entries


def _tensor_of(history) -> Tensor:
    """The Tensor a KerasTensor's history names."""
    kind = type(history.operation).__name__
    return INPUT if kind == "InputLayer" else (history.operation.name, history.tensor_index)


def _tensor(model, tensor: Tensor):
    if tensor == INPUT:
        return model.inputs[0]
    output = model.get_layer(tensor[0]).output
    return output[tensor[1]] if isinstance(output, (list, tuple)) else output


def _one_or_list(values: list):
    """A model's inputs as Keras wants them: one tensor alone, several as a list."""
    return values[0] if len(values) == 1 else values


def _as_list(values) -> list:
    return list(values) if isinstance(values, (list, tuple)) else [values]
