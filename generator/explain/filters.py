"""Filter visualisation: the input that most activates each filter of a layer, by gradient ascent.

Paper: Erhan et al. 2009, "Visualizing Higher-Layer Features of a Deep Network",
https://www.researchgate.net/publication/265022827; regularisation after Yosinski et al.
2015, https://arxiv.org/abs/1506.06579 (jitter, Gaussian blur every few steps, decay).

The objective of filter i is the mean over positions of its response: the map that
`feature_maps.compute_feature_maps` shows (the conv output after its activation, and
after a BatchNormalization and activation layer that directly follow it). While a
filter is silent everywhere (a ReLU output of zero has no gradient), it ascends its
largest pre-activation instead, until it fires. All filters are optimised together:
a batch of F inputs, input i ascending filter i, in one compiled step.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from generator import usage
from generator.explain.feature_maps import activation_layer_types, response_layers
from generator.model.folding import folded_copy


@dataclass(frozen=True)
class FilterPatterns:
    """Gradient-ascent results for one layer, filters in the layer's channel order.

    `patterns` (F, H, W, C) float32 lie in the model's input range. Activations are
    each filter's mean response to its own input: at the seeded start (mid-grey plus
    small noise) and on the final pattern. A dead filter's activation could not be
    raised (zero gradient, or a response that never rises above its start).
    """

    layer_name: str
    patterns: np.ndarray
    start_activation: np.ndarray
    final_activation: np.ndarray
    dead: np.ndarray


@dataclass(frozen=True)
class Ascent:
    """Settings of the ascent, tuned for small grayscale inputs (48 x 48)."""

    step_size: float = 0.05     # per step, in units of the input range, along the RMS-normalised gradient
    jitter: int = 1             # random shift of the whole batch by up to this many pixels each step
    blur_every: int = 4         # Gaussian blur of the patterns every this many steps (0: never)
    blur_sigma: float = 0.5     # pixels
    decay: float = 0.0          # pull towards mid-grey per step (fraction of the offset)
    noise: float = 0.15         # start noise std around mid-grey, in units of the input range


def compute_filter_patterns(model, layer_name: str, steps: int = 100, seed: int = 0,
                            input_range: tuple[float, float] = (0.0, 1.0),
                            settings: Ascent | None = None,
                            on_step: Callable[[], None] | None = None) -> FilterPatterns:
    """Patterns maximising each filter of `layer_name`; the same seed gives the same result.

    `on_step` is called after each ascent step (progress display)."""
    import tensorflow as tf

    settings = settings or Ascent()
    respond, n_filters = _own_responses(model, layer_name)
    low, high = (float(v) for v in input_range)
    start = start_inputs(model.inputs[0].shape[1:], n_filters, seed, (low, high), settings.noise)
    step = _compiled_step(respond, settings, low, high, seed)
    inputs = tf.Variable(start)
    for k in range(int(steps)):
        step(inputs, tf.constant(k, tf.int32))
        if on_step is not None:
            on_step()
    patterns = inputs.numpy()
    before, flat = _evaluate(respond, start, gradient=True)
    after, _ = _evaluate(respond, patterns)
    usage.count(n_filters * (int(steps) + 2), int(steps) + 2)   # every step, then the two evaluations
    dead = flat | (after - before <= 1e-6 * np.maximum(1.0, np.abs(before)))
    return FilterPatterns(layer_name, patterns.astype(np.float32), before, after, dead)


def _layer_models(model, layer_name):
    """(pre, activation): input -> the response before its last activation, and that activation.

    The response is the one `compute_feature_maps` shows, read from the model's folded copy
    (see folding). A conv layer's own activation is split off on a clone, so the caller's
    model is never changed.
    """
    import keras

    chain = [model.get_layer(name) for name in response_layers(model, layer_name)]
    last = chain[-1]
    folded = folded_copy(model)
    if isinstance(last, activation_layer_types()):
        return keras.Model(folded.inputs[0], folded.get_layer(last.name).input), last
    own = getattr(last, "activation", None)
    if len(chain) > 1 or own in (None, keras.activations.linear):
        return keras.Model(folded.inputs[0], folded.get_layer(last.name).output), keras.activations.linear
    clone = keras.models.clone_model(model)
    clone.set_weights(model.get_weights())
    clone.get_layer(layer_name).activation = keras.activations.linear
    return keras.Model(clone.inputs[0], clone.get_layer(layer_name).output), own


def _own_responses(model, layer_name: str):
    """(respond, F): respond(inputs (F, H, W, C)) -> (peak before, peak after, mean after), each (F,):
    input i's response of filter i before and after its last activation (see _layer_models).

    Where that response is a SeparableConv2D's output (with its normalisation folded in) and the
    activation acts value by value, only each input's own channel of the pointwise step is
    computed: an ascent step of the 64x64 Xception's 128-filter separable layer takes 71 ms
    instead of 105. Elsewhere every channel is computed and each input's own is read."""
    import tensorflow as tf

    pre, activation = _layer_models(model, layer_name)
    separable = _separable_response(pre) if _value_by_value(activation) else None
    if separable is None:
        def respond(inputs):
            z = pre(inputs, training=False)
            out = activation(z)
            return _own_peaks(z), _own_peaks(out), _own_means(out)
    else:
        layer, below = separable
        strides = (1, *layer.strides, 1)
        bias = layer.bias[:, None, None] if layer.use_bias else 0.0   # filter i's bias for input i

        def respond(inputs):
            depthwise = tf.nn.depthwise_conv2d(below(inputs, training=False), layer.depthwise_kernel, strides,
                                               layer.padding.upper(), dilations=layer.dilation_rate)
            z = tf.einsum("bhwc,cb->bhw", depthwise, layer.pointwise_kernel[0, 0]) + bias   # own channels only
            out = activation(z)
            return tf.reduce_max(z, axis=(1, 2)), tf.reduce_max(out, axis=(1, 2)), tf.reduce_mean(out, axis=(1, 2))
    return respond, int(pre.outputs[0].shape[-1])


def _separable_response(pre):
    """(layer, model up to its input) when `pre` ends in a linear SeparableConv2D followed only by
    folded normalisations (identities), else None."""
    import keras

    layer = pre.outputs[0]._keras_history.operation
    while type(layer).__name__ == "FoldedNormalization":
        layer = layer.input._keras_history.operation
    if type(layer).__name__ != "SeparableConv2D" or layer.activation is not keras.activations.linear:
        return None
    return layer, keras.Model(pre.inputs[0], layer.input)


def _value_by_value(activation) -> bool:
    """Whether `activation` (a function or an activation layer) maps each value alone, the same
    way in every channel."""
    import keras

    function = getattr(activation, "activation", activation)   # an Activation layer's function
    return not isinstance(activation, keras.layers.PReLU) and function not in (
        keras.activations.softmax, keras.activations.log_softmax)


def start_inputs(shape, count: int, seed: int, input_range=(0.0, 1.0), noise: float = Ascent.noise):
    """(count, *shape) float32: mid-grey plus seeded Gaussian noise (std `noise` x range), clipped."""
    if None in tuple(shape):
        raise ValueError(f"filter patterns need a fixed input size, the model takes {tuple(shape)}")
    low, high = input_range
    rng = np.random.default_rng(seed)
    start = (low + high) / 2 + noise * (high - low) * rng.standard_normal((count, *shape))
    return np.clip(start, low, high).astype(np.float32)


def _own_means(values):
    """(F, h, w, F) -> (F,): mean over positions of channel i in batch item i."""
    import tensorflow as tf

    return tf.linalg.diag_part(tf.reduce_mean(values, axis=(1, 2)))


def _own_peaks(values):
    """(F, h, w, F) -> (F,): the largest value of channel i in batch item i."""
    import tensorflow as tf

    return tf.linalg.diag_part(tf.reduce_max(values, axis=(1, 2)))


def _objective(responses):
    """Per filter: its mean output; while it is silent everywhere, its largest pre-activation."""
    import tensorflow as tf

    peak_before, peak_after, mean_after = responses
    return tf.where(peak_after <= 0, peak_before, mean_after)


def _compiled_step(respond, settings, low, high, seed):
    """One ascent step for the whole batch: jitter, normalised gradient step, decay, blur, clip."""
    import tensorflow as tf

    span, mid = high - low, (low + high) / 2
    blur = _gaussian_blur(settings.blur_sigma)

    @tf.function(reduce_retracing=True)
    def step(inputs, k):
        shift = tf.random.stateless_uniform([2], seed=tf.stack([seed, k]), minval=-settings.jitter,
                                            maxval=settings.jitter + 1, dtype=tf.int32)
        with tf.GradientTape(watch_accessed_variables=False) as tape:
            tape.watch(inputs)
            moved = tf.roll(inputs, shift, axis=(1, 2))
            score = tf.reduce_sum(_objective(respond(moved)))
        grad = tape.gradient(score, inputs)
        rms = tf.sqrt(tf.reduce_mean(tf.square(grad), axis=(1, 2, 3), keepdims=True))
        x = inputs + settings.step_size * span * grad / (rms + 1e-12)
        x = mid + (1.0 - settings.decay) * (x - mid)
        if settings.blur_every:
            x = tf.cond(k % settings.blur_every == settings.blur_every - 1, lambda: blur(x), lambda: x)
        inputs.assign(tf.clip_by_value(x, low, high))

    return step


def _gaussian_blur(sigma):
    """A depthwise Gaussian blur with reflected borders, for (N, H, W, C) tensors."""
    import tensorflow as tf

    radius = max(1, int(np.ceil(2 * sigma)))
    taps = np.exp(-0.5 * (np.arange(-radius, radius + 1) / max(sigma, 1e-6)) ** 2)
    kernel2d = np.outer(taps, taps) / np.outer(taps, taps).sum()

    def blur(x):
        channels = x.shape[-1]
        kernel = tf.constant(np.tile(kernel2d[:, :, None, None], (1, 1, channels, 1)), x.dtype)
        padded = tf.pad(x, [[0, 0], [radius, radius], [radius, radius], [0, 0]], mode="REFLECT")
        return tf.nn.depthwise_conv2d(padded, kernel, [1, 1, 1, 1], "VALID")

    return blur


def _evaluate(respond, inputs, gradient: bool = False):
    """Each filter's mean response to its own input; with `gradient`, also whether its ascent is flat."""
    import tensorflow as tf

    x = tf.constant(inputs)
    with tf.GradientTape(watch_accessed_variables=False) as tape:
        tape.watch(x)
        responses = respond(x)
        score = tf.reduce_sum(_objective(responses))
    means = responses[2].numpy().astype(np.float32)
    if not gradient:
        return means, None
    flat = tf.reduce_max(tf.abs(tape.gradient(score, x)), axis=(1, 2, 3)) == 0
    return means, flat.numpy()
