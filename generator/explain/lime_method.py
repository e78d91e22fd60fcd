"""LIME on superpixels: a local linear model of the class probability over hidden/shown segments.

Paper: Ribeiro, Singh, Guestrin, "Why Should I Trust You?": Explaining the Predictions
of Any Classifier, KDD 2016, https://arxiv.org/abs/1602.04938
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from generator import usage
from generator.errors import UserError
from generator.model.folding import PIXEL_BUDGET, compiled_outputs

# Suits 48x48 grayscale faces: about 35-45 segments on real FER2013 faces, ~47 on noise.
DEFAULT_SEGMENTATION = {"algorithm": "slic", "n_segments": 50, "compactness": 0.1, "sigma": 1.0}
ALGORITHMS = ("slic", "quickshift", "felzenszwalb")


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
    classify = batch_classifier(model, np.shape(images)[1:])
    explained = compute_lime_over(lambda batch: classify(batch)[None], images, targets, num_samples, segmentation,
                                  fill, seed, batch_size, on_image)
    return [over[0] for over in explained]


def compute_lime_over(outputs: Callable[[np.ndarray], np.ndarray], images: np.ndarray, targets,
                      num_samples: int = 1000, segmentation: dict | None = None, fill: float | None = 0.0,
                      seed: int = 0, batch_size: int | None = None,
                      on_image: Callable[[], None] | None = None) -> list[list[LimeResult]]:
    """`compute_lime` for P models at once: `outputs(batch)` gives each model's probabilities
    (P, B, K) for a batch of perturbed images (B, H, W, C). Each image's superpixels, perturbed
    images and sample weights are made once; one linear model is fitted per model. Returns,
    per image, its P explanations, each what `compute_lime` gives with that model alone."""
    images = np.asarray(images, dtype=np.float32)
    targets = np.broadcast_to(np.asarray(targets, dtype=np.int64), (len(images),))
    if batch_size is None:
        batch_size = int(np.clip(PIXEL_BUDGET // images[0].size, 1, num_samples))
    results = []
    for image, target in zip(images, targets):
        results.append([own for (own,) in _explain_one(image, [int(target)], outputs, num_samples, segmentation,
                                                         fill, seed, batch_size)])
        if on_image is not None:
            on_image()
    return results


def compute_lime_for_classes(model, images: np.ndarray, classes, num_samples: int = 1000,
                             segmentation: dict | None = None, fill: float | None = 0.0, seed: int = 0,
                             batch_size: int | None = None,
                             on_image: Callable[[], None] | None = None) -> list[tuple[LimeResult, ...]]:
    """LIME of each image for each of its classes (`classes` (N, L)), each as compute_lime explains
    it: the explanations of one image share its perturbed images, which go through the model once."""
    images = np.asarray(images, dtype=np.float32)
    classify = batch_classifier(model, images.shape[1:])
    if batch_size is None:
        batch_size = int(np.clip(PIXEL_BUDGET // images[0].size, 1, num_samples))
    results = []
    for image, targets in zip(images, np.asarray(classes, dtype=np.int64)):
        (own,) = _explain_one(image, [int(t) for t in targets], lambda batch: classify(batch)[None], num_samples,
                              segmentation, fill, seed, batch_size)
        results.append(tuple(own))
        if on_image is not None:
            on_image()
    return results


def lime_maps(model, images: np.ndarray, targets, num_samples: int = 1000, segmentation: dict | None = None,
              fill: float | None = 0.0, seed: int = 0) -> np.ndarray:
    """(N, H, W) float32: each pixel carries its superpixel's LIME weight (see compute_lime)."""
    results = compute_lime(model, images, targets, num_samples, segmentation, fill, seed)
    return np.stack([r.weight_map for r in results]).astype(np.float32)


def batch_classifier(model, image_shape: tuple[int, ...]):
    """(B, H, W, C) images in model scale -> (B, classes) float64 probabilities of the model's
    folded copy (see folding), compiled once; also lime's classifier_fn (its RGB copies of a
    grayscale image are taken back to one channel)."""
    channels = image_shape[-1]
    forward = compiled_outputs(model)

    def classify(batch: np.ndarray) -> np.ndarray:
        batch = batch[..., :1] if channels == 1 else batch
        return np.asarray(forward(np.asarray(batch, dtype=np.float32))).astype(np.float64)

    return classify


def _explain_one(image, targets, outputs, num_samples, segmentation, fill, seed,
                 batch_size) -> list[list[LimeResult]]:
    """lime's LimeImageExplainer.explain_instance for each label of `targets`, with the perturbed
    images built by array indexing, a batch at a time, and one fit per model of `outputs` and
    label: [model][label]. It draws the same on/off matrix as lime (same generator, same order)
    and fits with lime's own LimeBase, so each result equals lime's for the same random_state."""
    from lime.lime_image import LimeImageExplainer
    from sklearn.metrics import pairwise_distances

    segments = segment_image(image, segmentation)
    explainer = LimeImageExplainer(random_state=seed)
    hidden = _hidden_image(image, segments, fill)
    data = explainer.random_state.randint(0, 2, num_samples * (int(segments.max()) + 1)).reshape(num_samples, -1)
    data[0, :] = 1
    batches = []
    for start in range(0, num_samples, batch_size):
        shown = data[start:start + batch_size][:, segments].astype(bool)[..., None]
        batches.append(np.asarray(outputs(np.where(shown, image, hidden)), dtype=np.float64))
        usage.count(len(shown) * len(batches[-1]), len(batches[-1]))
    labels = np.concatenate(batches, axis=1)    # (P, num_samples, K)
    distances = pairwise_distances(data, data[0].reshape(1, -1), metric="cosine").ravel()
    return [[_fit(explainer, data, model_labels, distances, target, segments) for target in targets]
            for model_labels in labels]


def _fit(explainer, data, labels, distances, target: int, segments) -> LimeResult:
    """lime's weighted linear fit of one label's probabilities on the superpixels' on/off matrix."""
    intercept, local_exp, score, _ = explainer.base.explain_instance_with_data(
        data, labels, distances, target, 100000, model_regressor=None, feature_selection=explainer.feature_selection)
    weights = np.zeros(data.shape[1])
    for segment, weight in local_exp:
        weights[segment] = weight
    return LimeResult(target, segments, weights, float(intercept), float(score))


def _hidden_image(image: np.ndarray, segments: np.ndarray, fill: float | None) -> np.ndarray:
    """What hidden superpixels show: `fill` everywhere, or (None) each superpixel's mean, as lime's
    explain_instance makes its `fudged_image` (computed in float64, as lime does)."""
    if fill is not None:
        return np.full_like(image, np.float64(fill))
    values = image.astype(np.float64)
    hidden = values.copy()
    for segment in np.unique(segments):
        inside = segments == segment
        hidden[inside] = [np.mean(values[inside][:, c]) for c in range(values.shape[-1])]
    return hidden.astype(np.float32)
