"""Class-activation maps of one convolution layer: Grad-CAM, Grad-CAM++, Score-CAM, Layer-CAM.

Papers: Selvaraju et al., Grad-CAM, ICCV 2017, https://arxiv.org/abs/1610.02391;
Chattopadhyay et al., Grad-CAM++, WACV 2018, https://arxiv.org/abs/1710.11063;
Wang et al., Score-CAM, CVPR-W 2020, https://arxiv.org/abs/1910.01279;
Jiang et al., LayerCAM, IEEE TIP 2021, https://doi.org/10.1109/TIP.2021.3089943
"""

from __future__ import annotations

import weakref
from collections import OrderedDict
from dataclasses import dataclass
from functools import partial

import numpy as np

from generator import usage
from generator.cache import digest
from generator.explain.common import linear_clone, rescale_each

METHODS = ("gradcam", "gradcam++", "scorecam", "layercam")
MASKED_BUDGET = 2_500_000  # Score-CAM: masked input values per compiled model call
EPSILON = 1e-7             # keras.backend.epsilon(), as tf-keras-vis scales the masks
_EXPLAINERS: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()   # linear clone -> {key: explainer}


@dataclass(frozen=True)
class ClassMeanCams:
    """Per method, one mean (H, W) map per class (None: no correctly classified image);
    `counts` holds how many images each class's mean is over."""

    means: dict
    counts: tuple


def compute_cam(model, images: np.ndarray, targets, layer_name: str, method: str,
                batch_size: int = 64, scorecam_channels: int | None = None) -> np.ndarray:
    """Maps (N, H, W) of one CAM `method` for images (N, H, W, C) in model scale and their targets.

    The map is taken at `layer_name` of the model's linear-output clone (the caller's
    model is untouched), upsampled bilinearly to the input size and min-max scaled to
    [0, 1] per image; a map with zero range or non-finite values becomes zeros. Images
    go `batch_size` at a time, one call per batch (Score-CAM splits a batch further,
    see ScoreCam, which weighs at most `scorecam_channels` channels of each image).
    """
    images = np.asarray(images, dtype=np.float32)
    targets = np.broadcast_to(np.asarray(targets, dtype=np.int64), (len(images),))
    explain = _explainer(model, method, layer_name, scorecam_channels)
    chunks = [explain(images[i:i + batch_size], targets[i:i + batch_size])
              for i in range(0, len(images), batch_size)]
    return _to_input_size(np.concatenate(chunks), images.shape[1:3])


def compute_cams(model, images: np.ndarray, targets, layer_name: str, methods=METHODS,
                 batch_size: int = 64, scorecam_channels: int | None = None) -> dict[str, np.ndarray]:
    """`compute_cam` of each of `methods`: method -> maps (N, H, W)."""
    return {method: compute_cam(model, images, targets, layer_name, method, batch_size, scorecam_channels)
            for method in methods}


class ScoreCam:
    """Score-CAM of one layer of a model with linear outputs: raw maps (n, h, w) at the layer's
    resolution, after ReLU.

    The computation of tf-keras-vis's Scorecam: each channel's activation, upsampled with
    corner-aligned bilinear interpolation and scaled to [0, 1], masks the image; the
    channel's weight is the target's softmax probability for that masked image; the map
    is the weighted sum of the activations. Here all of it is one compiled call per batch
    of images (about MASKED_BUDGET masked input values each). tf-keras-vis builds the
    masked images in NumPy, runs model.predict and scores the channels one eager call at
    a time: benchmarks/bench_scorecam.py measures the difference and the agreement.

    With `max_channels` below the layer's channel count, each image's map weighs only that
    many channels, those whose activation varies most over the grid (standard deviation;
    tf-keras-vis's max_N, "Faster Score-CAM", which picks them over the whole batch instead).
    A masked image costs a model call, so this bounds the cost on wide layers.
    """

    def __init__(self, model, layer_name: str, max_channels: int | None = None):
        import keras
        import tensorflow as tf

        self.features = keras.Model(model.inputs, model.get_layer(layer_name).output)
        self.model = model
        width = int(self.features.output.shape[-1])
        self.channels = min(width, max_channels) if max_channels else width
        self.all_channels = self.channels == width
        image_shape = tuple(int(size) for size in model.inputs[0].shape[1:])
        self._maps = tf.function(self._batch_maps, input_signature=[   # one trace for every batch size
            tf.TensorSpec((None, *image_shape), tf.float32), tf.TensorSpec((None,), tf.int64)])

    def __call__(self, images: np.ndarray, targets) -> np.ndarray:
        images = np.asarray(images, dtype=np.float32)
        targets = np.broadcast_to(np.asarray(targets, dtype=np.int64), (len(images),))
        step = max(1, MASKED_BUDGET // (self.channels * images[0].size))
        maps = [np.asarray(self._maps(images[i:i + step], targets[i:i + step]))
                for i in range(0, len(images), step)]
        usage.count(len(images) * (self.channels + 1), len(maps))   # each image, then its masked copies
        return np.concatenate(maps)

    def _batch_maps(self, images, targets):
        import tensorflow as tf

        activations = self.features(images, training=False)                       # (b, h, w, k)
        if not self.all_channels:   # each image's most varied channels
            top = tf.math.top_k(tf.math.reduce_std(activations, axis=(1, 2)), self.channels).indices
            activations = tf.gather(activations, top, axis=3, batch_dims=1)
        size = tf.shape(images)[1:3]
        upsampled = tf.raw_ops.ResizeBilinear(images=activations, size=size, align_corners=True)
        low = tf.reduce_min(upsampled, axis=(1, 2), keepdims=True)
        high = tf.reduce_max(upsampled, axis=(1, 2), keepdims=True)
        masks = tf.transpose((upsampled - low) / (high - low + EPSILON), (0, 3, 1, 2))[..., None]
        masked = images[:, None] * masks                                            # (b, k, H, W, C)
        logits = self.model(tf.reshape(masked, tf.concat([[-1], tf.shape(images)[1:]], 0)), training=False)
        probabilities = tf.reshape(tf.nn.softmax(logits), (tf.shape(images)[0], self.channels, -1))
        weights = tf.gather(probabilities, targets, axis=2, batch_dims=1)           # (b, k)
        return tf.nn.relu(tf.einsum("bhwk,bk->bhw", activations, weights))


def compute_class_mean_cams(model, images: np.ndarray, labels, predictions, layer_name: str,
                            per_class: int = 50, methods=METHODS, known: tuple | None = None,
                            **cam_options) -> ClassMeanCams:
    """For each class, the mean map over its first `per_class` correctly classified images.

    `known` = (indices into `images`, method -> their maps) gives maps already computed the same
    way (`compute_cams` with the images' labels), which are taken instead of computed again."""
    labels, predictions = np.asarray(labels), np.asarray(predictions)
    class_count = int(model.output_shape[-1])
    picks = [np.flatnonzero((labels == c) & (predictions == c))[:per_class]
             for c in range(class_count)]
    chosen = np.concatenate(picks).astype(np.int64)
    maps = _maps_of(model, images, labels, chosen, layer_name, methods, known, cam_options) if len(chosen) else {}
    bounds = np.cumsum([0] + [len(p) for p in picks])
    means = {method: [maps[method][lo:hi].mean(axis=0) if hi > lo else None
                      for lo, hi in zip(bounds[:-1], bounds[1:])] for method in methods}
    return ClassMeanCams(means, tuple(len(p) for p in picks))


def _maps_of(model, images, labels, chosen, layer_name, methods, known, cam_options) -> dict[str, np.ndarray]:
    """method -> maps of images[chosen]: the `known` ones taken, the others computed."""
    indices, given = known if known is not None else (np.zeros(0, np.int64), {})
    where = {int(index): row for row, index in enumerate(indices)}
    have = np.array([int(i) in where and all(m in given for m in methods) for i in chosen], bool)
    missing = chosen[~have]
    computed = (compute_cams(model, images[missing], labels[missing], layer_name, methods, **cam_options)
                if len(missing) else {})
    maps = {}
    for method in methods:
        out = np.zeros((len(chosen), *images.shape[1:3]), np.float32)
        if have.any():
            out[have] = np.stack([given[method][where[int(i)]] for i in chosen[have]])
        if len(missing):
            out[~have] = computed[method]
        maps[method] = out
    return maps


def gradient_is_uniform(model, images: np.ndarray, targets, layer_name: str, tolerance: float = 1e-3) -> bool:
    """Whether each target's pre-softmax score has the same gradient at every position of the
    layer, channel by channel (as when only global average pooling and linear layers follow
    it). Then Grad-CAM, Grad-CAM++ and Layer-CAM weight the channels alike and agree."""
    import keras
    import tensorflow as tf

    linear = linear_clone(model)
    probe = keras.Model(linear.inputs, [linear.get_layer(layer_name).output, linear.outputs[0]])
    images = tf.constant(np.asarray(images, dtype=np.float32))
    with tf.GradientTape() as tape:
        activations, scores = probe(images, training=False)
        chosen = tf.gather(scores, np.asarray(targets, dtype=np.int64), axis=1, batch_dims=1)
    gradients = np.asarray(tape.gradient(chosen, activations))
    usage.count(len(images))
    spread = gradients.std(axis=(1, 2))
    scale = np.abs(gradients).mean(axis=(1, 2)).max(axis=-1, keepdims=True)
    return bool(np.all(spread <= tolerance * np.maximum(scale, 1e-12)))


def _explainer(model, method: str, layer_name: str, scorecam_channels: int | None = None):
    """callable(images, targets) -> raw maps of `method` at `layer_name`, made once per model
    (its compiled functions are reused), on the model's linear clone."""
    if method not in METHODS:
        raise ValueError(f"unknown CAM method {method!r}; choose from: {', '.join(METHODS)}")
    linear = linear_clone(model)
    made = _EXPLAINERS.setdefault(linear, {})
    if method == "scorecam":
        key = (method, layer_name, scorecam_channels)
        if key not in made:
            made[key] = ScoreCam(linear, layer_name, scorecam_channels)
        return made[key]
    if ("gradient", layer_name) not in made:
        made[("gradient", layer_name)] = GradientCams(linear, layer_name)
    return partial(made[("gradient", layer_name)], method)


class GradientCams:
    """Grad-CAM, Grad-CAM++ and Layer-CAM of one layer of a model with linear outputs, from one
    gradient: raw maps (n, h, w) at the layer's resolution, after ReLU.

    The computations of tf-keras-vis's Gradcam, GradcamPlusPlus and Layercam (same formulas,
    see _batch_maps), which take the same activations and gradient of the target's score three
    times, each in an eager pass. Here one compiled call per batch gives all three, and the
    maps of the most recent batches are kept, so the other two methods on the same images,
    targets and weights cost nothing: benchmarks/bench_gradient_cams.py measures the difference
    and the agreement.
    """

    KEPT = 64   # batches whose maps are kept

    def __init__(self, model, layer_name: str):
        import keras
        import tensorflow as tf

        self.model = model
        self.probe = keras.Model(model.inputs[0], [model.get_layer(layer_name).output, model.outputs[0]])
        image_shape = tuple(int(size) for size in model.inputs[0].shape[1:])
        self._maps = tf.function(self._batch_maps, input_signature=[   # one trace for every batch size
            tf.TensorSpec((None, *image_shape), tf.float32), tf.TensorSpec((None,), tf.int64)])
        self._recent: OrderedDict = OrderedDict()

    def __call__(self, method: str, images: np.ndarray, targets) -> np.ndarray:
        images = np.ascontiguousarray(images, dtype=np.float32)
        targets = np.ascontiguousarray(np.broadcast_to(np.asarray(targets, dtype=np.int64), (len(images),)))
        key = digest(images, targets, self.model.get_weights())
        if key not in self._recent:
            self._recent[key] = dict(zip(("gradcam", "gradcam++", "layercam"),
                                         (np.asarray(m) for m in self._maps(images, targets))))
            usage.count(len(images))
            while len(self._recent) > self.KEPT:
                self._recent.popitem(last=False)
        return self._recent[key][method]

    def _batch_maps(self, images, targets):
        import tensorflow as tf

        with tf.GradientTape(watch_accessed_variables=False) as tape:
            tape.watch(images)
            activations, scores = self.probe(images, training=False)                  # (b, h, w, k), (b, K)
            chosen = tf.gather(scores, targets, axis=1, batch_dims=1)                   # (b,)
        grads = tape.gradient(chosen, activations)
        gradcam = tf.einsum("bhwk,bk->bhw", activations, tf.reduce_mean(grads, axis=(1, 2)))
        layercam = tf.reduce_sum(activations * tf.nn.relu(grads), axis=-1)
        first = tf.exp(chosen)[:, None, None, None] * grads                             # Grad-CAM++
        second = first * grads
        third = second * grads
        denominator = second * 2.0 + third * tf.reduce_sum(activations, axis=(1, 2), keepdims=True)
        alphas = second / (denominator + tf.cast(second == 0.0, second.dtype))
        total = tf.reduce_sum(alphas, axis=(1, 2), keepdims=True)
        alphas = alphas / (total + tf.cast(total == 0.0, total.dtype))
        weights = tf.reduce_sum(tf.nn.relu(first) * alphas, axis=(1, 2), keepdims=True)
        plusplus = tf.reduce_sum(weights * activations, axis=-1)
        return tf.nn.relu(gradcam), tf.nn.relu(plusplus), tf.nn.relu(layercam)



def _to_input_size(cams: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Bilinear upsampling (pixel centres aligned), then [0, 1] per map with a zero-range guard."""
    import tensorflow as tf

    finite = np.isfinite(cams).all(axis=(1, 2), keepdims=True)
    cams = np.where(finite, np.nan_to_num(cams), 0.0).astype(np.float32)
    big = tf.image.resize(cams[..., None], size, method="bilinear").numpy()[..., 0]
    return rescale_each(np.maximum(big, 0.0))
