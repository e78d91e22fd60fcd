"""LIME on superpixels: a local linear model of the class probability over hidden/shown segments.

Paper: Ribeiro, Singh, Guestrin, "Why Should I Trust You?": Explaining the Predictions
of Any Classifier, KDD 2016, https://arxiv.org/abs/1602.04938
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

import numpy as np

from generator import usage
from generator.errors import UserError

# Suits 48x48 grayscale faces: about 35-45 segments on real FER2013 faces, ~47 on noise.
DEFAULT_SEGMENTATION = {"algorithm": "slic", "n_segments": 50, "compactness": 0.1, "sigma": 1.0}
ALGORITHMS = ("slic", "quickshift", "felzenszwalb")
PIXEL_BUDGET = 2_500_000  # input values per compiled call when batch_size is not given


@dataclass(frozen=True)
class LimeResult:
    """One image's explanation for class `target`.

    `segments` (H, W) holds superpixel ids 0..S-1; `weights` (S,) the local linear
    model's coefficient of each superpixel (positive: showing it raises the class
    probability); `intercept` and `score` (R^2 on the weighted samples) describe the fit.
    """

    target: int
    segments: np.ndarray
    weights: np.ndarray
    intercept: float
    score: float

    @property
    def weight_map(self) -> np.ndarray:
        """(H, W) map: each pixel carries its superpixel's weight."""
        return self.weights[self.segments]


def segment_image(image: np.ndarray, segmentation: dict | None = None) -> np.ndarray:
    """(H, W) superpixel ids 0..S-1 for an (H, W, C) image in any value scale.

    The image is min-max scaled to [0, 1] first, so parameters do not depend on the
    model's input scaling. `segmentation` = {"algorithm": ..., **skimage parameters}.
    """
    from lime.wrappers.scikit_image import SegmentationAlgorithm

    params = dict(DEFAULT_SEGMENTATION if segmentation is None else segmentation)
    algorithm = params.pop("algorithm", "slic")
    if algorithm not in ALGORITHMS:
        raise UserError("lime.segmentation.algorithm", f"unknown algorithm {algorithm!r}",
                        f"choose one of: {', '.join(ALGORITHMS)}")
    image = np.asarray(image, dtype=np.float64)
    span = image.max() - image.min()
    scaled = (image - image.min()) / span if span > 0 else np.zeros_like(image)
    if algorithm == "slic":
        params.setdefault("start_label", 0)
        if scaled.shape[-1] == 1:
            params.setdefault("channel_axis", None)
        else:
            params.setdefault("convert2lab", False)
    if scaled.shape[-1] == 1:
        scaled = scaled[..., 0] if algorithm == "slic" else np.repeat(scaled, 3, axis=-1)
    segments = SegmentationAlgorithm(algorithm, **params)(scaled)
    return np.unique(segments, return_inverse=True)[1].reshape(segments.shape).astype(np.int64)


def compute_lime(model, images: np.ndarray, targets, num_samples: int = 1000,
                 segmentation: dict | None = None, fill: float | None = 0.0, seed: int = 0,
                 batch_size: int | None = None, on_image: Callable[[], None] | None = None) -> list[LimeResult]:
    """LIME for each image (N, H, W, C), already scaled as the model expects, and its target class.

    Hidden superpixels take the value `fill` (in model scale; None: each superpixel's
    mean, lime's default). Every image gets its own explainer seeded with `seed`, so a
    result does not depend on the other images. Perturbed images go through one
    compiled model call per `batch_size` samples (default: all samples at once for
    small inputs). `on_image` is called after each image (progress display).
    """
    targets = np.broadcast_to(np.asarray(targets, dtype=np.int64), (len(images),))
    return [own for (own,) in compute_lime_for_classes(model, images, targets[:, None], num_samples, segmentation,
                                                       fill, seed, batch_size, on_image)]


def compute_lime_for_classes(model, images: np.ndarray, classes, num_samples: int = 1000,
                             segmentation: dict | None = None, fill: float | None = 0.0, seed: int = 0,
                             batch_size: int | None = None,
                             on_image: Callable[[], None] | None = None) -> list[tuple[LimeResult, ...]]:
    """LIME of each image for each of its classes (`classes` (N, L)), as compute_lime explains one:
    the explanations of one image share its perturbed images, which go through the model once."""
    images = np.asarray(images, dtype=np.float32)
    classes = np.asarray(classes, dtype=np.int64)
    if batch_size is None:
        batch_size = int(np.clip(PIXEL_BUDGET // images[0].size, 1, num_samples))
    classify = batch_classifier(model, images.shape[1:])
    results = []
    for image, targets in zip(images, classes):
        results.append(_explain_one(image, [int(t) for t in targets], classify, num_samples, segmentation, fill,
                                    seed, batch_size))
        if on_image is not None:
            on_image()
    return results


def lime_maps(model, images: np.ndarray, targets, num_samples: int = 1000, segmentation: dict | None = None,
              fill: float | None = 0.0, seed: int = 0) -> np.ndarray:
    """(N, H, W) float32: each pixel carries its superpixel's LIME weight (see compute_lime)."""
    results = compute_lime(model, images, targets, num_samples, segmentation, fill, seed)
    return np.stack([r.weight_map for r in results]).astype(np.float32)


def batch_classifier(model, image_shape: tuple[int, ...]):
    """classifier_fn for lime: (B, H, W, 3) float64 -> (B, classes) probabilities, compiled once."""
    import tensorflow as tf

    channels = image_shape[-1]
    forward = tf.function(lambda x: model(x, training=False),
                          input_signature=[tf.TensorSpec((None, *image_shape), tf.float32)])

    def classify(batch: np.ndarray) -> np.ndarray:
        batch = batch[..., :1] if channels == 1 else batch
        usage.count(len(batch))
        return forward(tf.constant(batch, dtype=tf.float32)).numpy().astype(np.float64)

    return classify


def _explain_one(image, targets, classify, num_samples, segmentation, fill, seed, batch_size):
    """One LimeResult per target; each target's explainer, seeded alike, draws the same perturbed
    images, so the model sees them once and later targets reuse its outputs."""
    segments = segment_image(image, segmentation)
    view = image[..., 0].astype(np.float64) if image.shape[-1] == 1 else image.astype(np.float64)
    remembered = _remembering(classify)
    results = []
    for target in targets:
        explanation = _explainer_class()(random_state=seed).explain_instance(
            view, remembered, labels=(target,), top_labels=None, hide_color=fill,
            num_samples=num_samples, batch_size=batch_size, segmentation_fn=lambda _: segments,
            random_seed=seed)
        weights = np.zeros(int(segments.max()) + 1)
        for segment, weight in explanation.local_exp[target]:
            weights[segment] = weight
        results.append(LimeResult(target, segments, weights, float(explanation.intercept[target]),
                                  float(explanation.score)))
    return tuple(results)


def _remembering(classify):
    """`classify` that answers a batch it has seen before from memory (keyed by the batch's bytes)."""
    seen: dict[bytes, np.ndarray] = {}

    def answer(batch: np.ndarray) -> np.ndarray:
        key = hashlib.blake2b(np.ascontiguousarray(batch).tobytes(), digest_size=16).digest()
        if key not in seen:
            seen[key] = classify(batch)
        return seen[key]

    return answer


@cache
def _explainer_class():
    from lime.lime_image import LimeImageExplainer

    class VectorisedExplainer(LimeImageExplainer):
        """lime's explainer with the perturbed images built by array indexing, batch by batch.

        Draws the same random on/off matrix as lime (same generator, same order), so
        results equal lime's own for the same random_state.
        """

        def data_labels(self, image, fudged_image, segments, classifier_fn, num_samples,
                        batch_size=10):
            n_features = np.unique(segments).shape[0]
            data = self.random_state.randint(0, 2, num_samples * n_features).reshape(
                (num_samples, n_features))
            data[0, :] = 1
            labels = []
            for start in range(0, num_samples, batch_size):
                shown = data[start:start + batch_size][:, segments].astype(bool)[..., None]
                labels.append(classifier_fn(np.where(shown, image, fudged_image)))
            return data, np.concatenate(labels)

    return VectorisedExplainer

