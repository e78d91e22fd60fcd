"""Vanilla saliency and SmoothGrad: |d class score / d pixel| for each image and its target class.

Papers: Simonyan et al. 2013, https://arxiv.org/abs/1312.6034 (vanilla gradient);
Smilkov et al. 2017, https://arxiv.org/abs/1706.03825 (SmoothGrad).
The class score is the pre-softmax output (softmax replaced by linear on a clone).
Maps are raw gradient magnitudes; `common.normalise_maps` prepares them for display.
They are what tf-keras-vis's Saliency computes, but every noisy copy goes through one
compiled gradient call (a batch of copies at a time) instead of one eager call per
copy: benchmarks/bench_saliency.py measures the difference and the agreement.
"""

from __future__ import annotations

import weakref
from contextlib import contextmanager

import numpy as np

from generator import usage
from generator.explain.common import linear_clone

_GRADIENTS: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()   # linear clone -> gradient
GRADIENT_BUDGET = 600_000  # input values per compiled gradient call


def compute_saliency(model, images: np.ndarray, targets) -> np.ndarray:
    """(N, H, W) float32: |d score_target / d pixel|, max over channels."""
    images, targets = _checked(images, targets)
    return _gradient_magnitudes(model, images, targets).max(axis=-1)


def compute_smoothgrad(model, images: np.ndarray, targets, samples: int = 20,
                       noise: float = 0.2, seed: int = 0) -> np.ndarray:
    """(N, H, W) float32: vanilla saliency averaged over `samples` noisy copies of each image.

    The noise is Gaussian with std `noise` x (max - min) of each image. Every image gets
    the same `samples` standard-normal draws (seeded with `seed`; the global NumPy random
    state is left as it was), scaled by its own spread, so an image's map does not depend
    on the other images in the batch; for one image they are the draws tf-keras-vis's
    Saliency makes, and its maps equal these.
    """
    images, targets = _checked(images, targets)
    samples = max(1, int(samples))
    spread = noise * (images.max(axis=(1, 2, 3), keepdims=True) - images.min(axis=(1, 2, 3), keepdims=True))
    with _numpy_seed(seed):
        standard = np.random.normal(0.0, 1.0, (samples, 1, *images.shape[1:]))
    noisy = (images[None] + (standard * spread[None]).astype(np.float32)).reshape(-1, *images.shape[1:])
    magnitudes = _gradient_magnitudes(model, noisy, np.tile(targets, samples))
    return magnitudes.reshape(samples, *images.shape).mean(axis=0).max(axis=-1)


def _gradient_magnitudes(model, images: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """(N, H, W, C) |d score_target / d input|, GRADIENT_BUDGET input values per compiled call."""
    gradient = _gradient_function(model)
    step = max(1, GRADIENT_BUDGET // images[0].size)
    out = [np.asarray(gradient(images[i:i + step], targets[i:i + step])) for i in range(0, len(images), step)]
    usage.count(len(images), len(out))
    return np.concatenate(out)


def _gradient_function(model):
    """Compiled |gradient| of the target's pre-softmax score (on the model's linear clone), made
    and traced once per model."""
    import tensorflow as tf

    linear = linear_clone(model)
    gradient = _GRADIENTS.get(linear)
    if gradient is None:
        shape = tuple(int(size) for size in linear.inputs[0].shape[1:])

        @tf.function(input_signature=[tf.TensorSpec((None, *shape), tf.float32), tf.TensorSpec((None,), tf.int64)])
        def gradient(images, targets):
            with tf.GradientTape() as tape:
                tape.watch(images)
                scores = tf.gather(linear(images, training=False), targets, axis=1, batch_dims=1)
            return tf.abs(tape.gradient(scores, images))

        _GRADIENTS[linear] = gradient
    return gradient


def _checked(images, targets) -> tuple[np.ndarray, np.ndarray]:
    images = np.asarray(images, dtype=np.float32)
    targets = np.asarray([int(t) for t in np.atleast_1d(targets)], dtype=np.int64)
    if images.ndim != 4 or len(targets) != len(images):
        raise ValueError(f"need images (N, H, W, C) and N targets, got {images.shape} and {len(targets)}")
    return images, targets


@contextmanager
def _numpy_seed(seed: int):
    """Draw from the global NumPy RNG seeded `seed` (as tf-keras-vis does), then restore it."""
    state = np.random.get_state()
    np.random.seed(seed)
    try:
        yield
    finally:
        np.random.set_state(state)
