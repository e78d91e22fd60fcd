"""Vanilla saliency and SmoothGrad: |d class score / d pixel| for each image and its target class.

Papers: Simonyan et al. 2013, https://arxiv.org/abs/1312.6034 (vanilla gradient);
Smilkov et al. 2017, https://arxiv.org/abs/1706.03825 (SmoothGrad).
The class score is the pre-softmax output (softmax replaced by linear on a clone).
Maps are raw gradient magnitudes; `common.normalise_maps` prepares them for display.
"""

from __future__ import annotations

import weakref
from contextlib import contextmanager

import numpy as np

from generator import usage

_EXPLAINERS: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def compute_saliency(model, images: np.ndarray, targets) -> np.ndarray:
    """(N, H, W) float32: |d score_target / d pixel|, max over channels, one batched call."""
    return _saliency(model, images, targets)


def compute_smoothgrad(model, images: np.ndarray, targets, samples: int = 20,
                       noise: float = 0.2, seed: int = 0) -> np.ndarray:
    """(N, H, W) float32: vanilla saliency averaged over `samples` noisy copies of each image.

    The noise is Gaussian with std `noise` x (max - min) of each image; the same
    `seed` gives the same maps, and the global NumPy random state is left as it was.
    """
    with _numpy_seed(seed):
        return _saliency(model, images, targets, smooth_samples=int(samples), smooth_noise=float(noise))


def _saliency(model, images, targets, **smoothing) -> np.ndarray:
    from tf_keras_vis.utils.scores import CategoricalScore

    images = np.asarray(images, dtype=np.float32)
    targets = [int(t) for t in np.atleast_1d(targets)]
    if images.ndim != 4 or len(targets) != len(images):
        raise ValueError(f"need images (N, H, W, C) and N targets, got {images.shape} and {len(targets)}")
    maps = _explainer(model)(CategoricalScore(targets), images, normalize_map=False, **smoothing)
    passes = max(1, smoothing.get("smooth_samples", 0))   # SmoothGrad: one gradient call per noisy copy
    usage.count(len(images) * passes, passes)
    return np.asarray(maps, dtype=np.float32)


def _explainer(model):
    """The tf-keras-vis Saliency for `model`: cloned with a linear output once, weights synced per call."""
    from tf_keras_vis.saliency import Saliency
    from tf_keras_vis.utils.model_modifiers import ReplaceToLinear

    explainer = _EXPLAINERS.get(model)
    if explainer is None:
        explainer = Saliency(model, model_modifier=ReplaceToLinear(), clone=True)
        explainer.model = _list_input(explainer.model)
        _EXPLAINERS[model] = explainer
    else:
        explainer.model.set_weights(model.get_weights())  # the caller may have changed them
    return explainer


def _list_input(model):
    """The same graph taking a one-element input list, as tf-keras-vis passes (no structure warning)."""
    import keras

    if len(model.inputs) != 1:
        return model
    return keras.Model(list(model.inputs), model.outputs)


@contextmanager
def _numpy_seed(seed: int):
    """tf-keras-vis draws SmoothGrad noise from the global NumPy RNG: seed it, then restore it."""
    state = np.random.get_state()
    np.random.seed(seed)
    try:
        yield
    finally:
        np.random.set_state(state)
