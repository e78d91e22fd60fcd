"""Class-activation maps of one convolution layer: Grad-CAM, Grad-CAM++, Score-CAM, Layer-CAM.

Papers: Selvaraju et al., Grad-CAM, ICCV 2017, https://arxiv.org/abs/1610.02391;
Chattopadhyay et al., Grad-CAM++, WACV 2018, https://arxiv.org/abs/1710.11063;
Wang et al., Score-CAM, CVPR-W 2020, https://arxiv.org/abs/1910.01279;
Jiang et al., LayerCAM, IEEE TIP 2021, https://doi.org/10.1109/TIP.2021.3089943
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

from generator.errors import UserError
from generator.explain.common import rescale_each

METHODS = ("gradcam", "gradcam++", "scorecam", "layercam")
SCORECAM_BUDGET = 40_000_000  # masked input values Score-CAM may hold at once


@dataclass(frozen=True)
class ClassMeanCams:
    """Per method, one mean (H, W) map per class (None: no correctly classified image);
    `counts` holds how many images each class's mean is over."""

    means: dict
    counts: tuple


def compute_cams(model, images: np.ndarray, targets, layer_name: str, methods=METHODS,
                 batch_size: int = 64, scorecam_max_n: int | None = None) -> dict[str, np.ndarray]:
    """Maps (N, H, W) per method for images (N, H, W, C) in model scale and their target classes.

    The model is cloned once with its output activation made linear (the caller's
    model is untouched). Each map is taken at `layer_name`, upsampled bilinearly to
    the input size and min-max scaled to [0, 1] per image; a map with zero range or
    non-finite values becomes zeros. Images go `batch_size` at a time, one call per
    method per batch. `scorecam_max_n` switches Score-CAM to Faster Score-CAM over
    that many highest-variance channels.
    """
    images = np.asarray(images, dtype=np.float32)
    targets = np.broadcast_to(np.asarray(targets, dtype=np.int64), (len(images),))
    visualisers = _visualisers(model, methods)
    channels = int(model.get_layer(layer_name).output.shape[-1])
    maps = {}
    for method, visualiser in visualisers.items():
        step = batch_size
        if method == "scorecam":
            used = min(channels, scorecam_max_n or channels)
            step = int(np.clip(SCORECAM_BUDGET // (used * images[0].size), 1, batch_size))
        chunks = [_run(method, visualiser, images[i:i + step], targets[i:i + step], layer_name,
                       scorecam_max_n) for i in range(0, len(images), step)]
        maps[method] = _to_input_size(np.concatenate(chunks), images.shape[1:3])
    return maps


def compute_class_mean_cams(model, images: np.ndarray, labels, predictions, layer_name: str,
                            per_class: int = 50, methods=METHODS, **cam_options) -> ClassMeanCams:
    """For each class, the mean map over its first `per_class` correctly classified images."""
    labels, predictions = np.asarray(labels), np.asarray(predictions)
    class_count = int(model.output_shape[-1])
    picks = [np.flatnonzero((labels == c) & (predictions == c))[:per_class]
             for c in range(class_count)]
    chosen = np.concatenate(picks).astype(np.int64)
    maps = (compute_cams(model, images[chosen], labels[chosen], layer_name, methods, **cam_options)
            if len(chosen) else {})
    bounds = np.cumsum([0] + [len(p) for p in picks])
    means = {method: [maps[method][lo:hi].mean(axis=0) if hi > lo else None
                      for lo, hi in zip(bounds[:-1], bounds[1:])] for method in methods}
    return ClassMeanCams(means, tuple(len(p) for p in picks))


def _visualisers(model, methods) -> dict:
    """One tf-keras-vis object per method, all sharing one linear-output clone of the model."""
    from functools import partial

    from tf_keras_vis.gradcam import Gradcam
    from tf_keras_vis.gradcam_plus_plus import GradcamPlusPlus
    from tf_keras_vis.layercam import Layercam
    from tf_keras_vis.scorecam import Scorecam
    from tf_keras_vis.utils.model_modifiers import ReplaceToLinear

    kinds = {"gradcam": Gradcam, "gradcam++": GradcamPlusPlus, "scorecam": Scorecam,
             "layercam": Layercam}
    unknown = [m for m in methods if m not in kinds]
    if unknown:
        raise UserError("cams.methods", f"unknown method {unknown[0]!r}",
                        f"choose from: {', '.join(METHODS)}")
    linear = Gradcam(model, model_modifier=ReplaceToLinear(), clone=True).model
    # Score-CAM calls model.predict on the masked images; keep it quiet.
    linear.predict = partial(type(linear).predict, linear, verbose=0)
    return {m: kinds[m](linear, model_modifier=None, clone=False) for m in methods}


def _run(method, visualiser, images, targets, layer_name, scorecam_max_n) -> np.ndarray:
    """Raw (n, h, w) maps at the layer's resolution, after ReLU, before scaling."""
    from tf_keras_vis.utils.scores import CategoricalScore

    options = dict(penultimate_layer=layer_name, seek_penultimate_conv_layer=False,
                   expand_cam=False, normalize_cam=False)
    if method == "scorecam":
        options.update(max_N=scorecam_max_n, batch_size=256)
    with warnings.catch_warnings():  # tf-keras-vis passes the single input as a list
        warnings.filterwarnings("ignore", message="The structure of `inputs`")
        cams = visualiser(CategoricalScore(targets.tolist()), images, **options)
    return np.asarray(cams, dtype=np.float32).reshape(len(images), *np.shape(cams)[-2:])


def _to_input_size(cams: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Bilinear upsampling (pixel centres aligned), then [0, 1] per map with a zero-range guard."""
    import tensorflow as tf

    finite = np.isfinite(cams).all(axis=(1, 2), keepdims=True)
    cams = np.where(finite, np.nan_to_num(cams), 0.0).astype(np.float32)
    big = tf.image.resize(cams[..., None], size, method="bilinear").numpy()[..., 0]
    return rescale_each(np.maximum(big, 0.0))
