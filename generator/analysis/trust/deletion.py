"""Deletion and insertion: the target probability as the most attributed pixels leave or enter the image.

Paper: Petsiuk, Das, Saenko, RISE: Randomized Input Sampling for Explanation of Black-box
Models, BMVC 2018, https://arxiv.org/abs/1806.07421

A faithful map makes the deletion curve fall fast (low AUC) and the insertion curve rise
fast (high AUC). Both are compared with the same curves for a random pixel order.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from generator import usage
from generator.model.folding import PIXEL_BUDGET, compiled_outputs

BASELINES = ("blur", "mean", "zero")
BLUR_SIGMA = 1 / 12       # Gaussian sigma of the "blur" baseline, as a share of the image height
SIGNIFICANCE = 2.0        # standard errors a paired AUC gain must exceed to beat the random order
MIN_GAIN = 0.01           # and the least mean AUC gain that counts (a flat curve's gains are noise)


@dataclass(frozen=True)
class CurveSet:
    """One pixel order's curves: `curves` (N, K+1) target probability at each fraction,
    `mean_curve` (K+1,), `auc` (N,) trapezoid area over fraction 0..1, `mean_auc`."""

    curves: np.ndarray
    mean_curve: np.ndarray
    auc: np.ndarray
    mean_auc: float


@dataclass(frozen=True)
class DeletionInsertionResult:
    """Curves per method (dict keys in the order given) and for a random order.

    `fractions` (K+1,) share of pixels removed (deletion) or inserted (insertion);
    `deletion`/`insertion` method -> CurveSet; `random_deletion`/`random_insertion`
    the random-order CurveSets; `baseline` what removed pixels became; `model_calls`
    and `model_images` what went through the model.
    """

    fractions: np.ndarray
    deletion: dict
    insertion: dict
    random_deletion: CurveSet
    random_insertion: CurveSet
    baseline: str
    model_calls: int
    model_images: int


def compare_with_random(result: DeletionInsertionResult) -> dict[str, dict]:
    """Per method, whether its order beats a random one on the same images, curve by curve.

    The AUC difference is paired image by image (deletion: random minus method; insertion:
    method minus random, so positive is better). A verdict is "better" when the mean gain
    exceeds both SIGNIFICANCE standard errors of the mean and MIN_GAIN, "worse" when the loss
    does, and "no_better" otherwise. Returns {method: {"deletion": verdict, "deletion_gain", ...}}.
    """
    out: dict[str, dict] = {}
    for method in result.deletion:
        gains = {"deletion": result.random_deletion.auc - result.deletion[method].auc,
                 "insertion": result.insertion[method].auc - result.random_insertion.auc}
        out[method] = {}
        for curve, gain in gains.items():
            out[method][curve] = _verdict(gain)
            out[method][f"{curve}_gain"] = round(float(gain.mean()), 4)
    return out


def _verdict(gain: np.ndarray) -> str:
    error = float(gain.std(ddof=1) / np.sqrt(len(gain))) if len(gain) > 1 else float("inf")
    mean, margin = float(gain.mean()), max(SIGNIFICANCE * error, MIN_GAIN)
    if mean > margin:
        return "better"
    return "worse" if mean < -margin else "no_better"


def compute_deletion_insertion(model, images: np.ndarray, targets, maps: dict, steps: int = 20,
                               seed: int = 0, batch_size: int | None = None,
                               baseline: str | float = "blur") -> DeletionInsertionResult:
    """Deletion and insertion curves of `maps` (method -> (N, H, W)) for images (N, H, W, C) in model scale.

    Pixels (all channels of one position) go in decreasing attribution order, ties in
    a seeded random order; step k of `steps` moves the first round(k/steps x H x W).
    Deletion replaces them by the baseline image, insertion copies them into it:
    "blur" a Gaussian-blurred copy (sigma = BLUR_SIGMA x H, RISE's insertion start),
    "mean" each image's mean per channel, "zero" or a number that constant.
    The curve follows the model's output for the target (the probability, for a softmax
    model). The steps of all orders of a chunk of images go through one compiled call of
    at most `batch_size` images (default: PIXEL_BUDGET input values; at least one image's
    steps); the unaltered image and the baseline, shared by all curves, are sent once.
    """
    images, targets = _check(images, targets, maps)
    ranks = pixel_orders(maps, images.shape[:3], seed)    # (N, methods + random, P)
    if batch_size is None:
        batch_size = max(1, PIXEL_BUDGET // images[0].size)
    predict = _Predictor(model, batch_size)
    backgrounds = baseline_images(images, baseline)
    fractions = np.linspace(0.0, 1.0, steps + 1)
    counts = np.round(fractions * images.shape[1] * images.shape[2]).astype(np.int64)
    ends = predict.in_chunks(np.concatenate([images, backgrounds]), np.concatenate([targets, targets]))
    inner = _inner_steps(predict, images, backgrounds, targets, ranks, counts[1:-1])  # (N, O, 2, K-1)
    full, empty = ends[:len(images), None], ends[len(images):, None]
    sets = []
    for curve, start, stop in ((0, full, empty), (1, empty, full)):
        for order in range(ranks.shape[1]):
            curves = np.concatenate([start, inner[:, order, curve], stop], axis=1)
            sets.append(_curve_set(curves, fractions))
    methods, count = list(maps), ranks.shape[1]
    deletion, insertion = sets[:count], sets[count:]
    return DeletionInsertionResult(
        fractions, dict(zip(methods, deletion[:-1])), dict(zip(methods, insertion[:-1])),
        deletion[-1], insertion[-1], str(baseline), predict.calls, predict.images)


def pixel_orders(maps: dict, shape: tuple[int, int, int], seed: int) -> np.ndarray:
    """(N, len(maps) + 1, H x W) pixel ranks for maps of `shape` (N, H, W): each method's
    (see pixel_ranks), then a random order, all drawn from one generator seeded `seed`."""
    rng = np.random.default_rng(seed)
    n, h, w = shape
    ranks = [pixel_ranks(values, rng) for values in maps.values()]
    ranks.append(np.argsort(rng.random((n, h * w)), axis=1))  # a random permutation: random ranks
    return np.stack(ranks, axis=1)


def pixel_ranks(maps: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """(N, H x W) int64: each pixel's place in decreasing attribution order (0 first), ties at random."""
    flat = np.asarray(maps, dtype=np.float64).reshape(len(maps), -1)
    order = np.lexsort((rng.random(flat.shape), -flat), axis=1)
    ranks = np.empty_like(order)
    np.put_along_axis(ranks, order, np.arange(flat.shape[1])[None, :], axis=1)
    return ranks


def baseline_images(images: np.ndarray, baseline: str | float) -> np.ndarray:
    """What removed pixels become, (N, H, W, C) like `images` (see compute_deletion_insertion)."""
    images = np.asarray(images, dtype=np.float32)
    if baseline == "blur":
        from scipy.ndimage import gaussian_filter

        sigma = BLUR_SIGMA * images.shape[1]
        return gaussian_filter(images, sigma=(0, sigma, sigma, 0), mode="nearest").astype(np.float32)
    if baseline == "mean":
        return np.broadcast_to(images.mean(axis=(1, 2), keepdims=True), images.shape).copy()
    if baseline == "zero":
        return np.zeros_like(images)
    if isinstance(baseline, (int, float)) and not isinstance(baseline, bool):
        return np.full_like(images, float(baseline))
    raise ValueError(f"unknown baseline {baseline!r}; choose one of {', '.join(BASELINES)} or a number")


def step_images(image: np.ndarray, background: np.ndarray, ranks: np.ndarray,
                counts: np.ndarray) -> np.ndarray:
    """(O, 2, S, H, W, C): for each order (O, H x W ranks) and count, the image with that many
    top pixels deleted (index 0: replaced by the background) and inserted (1: into the background)."""
    h, w, c = image.shape
    moved = (ranks[:, None, :] < counts[None, :, None]).reshape(len(ranks), len(counts), h, w, 1)
    deleted = np.where(moved, background, image)
    inserted = np.where(moved, image, background)
    return np.stack([deleted, inserted], axis=1)


def _inner_steps(predict, images, backgrounds, targets, ranks, counts) -> np.ndarray:
    """Target probability (N, O, 2, S) of every step image, a chunk of images per model call."""
    orders, steps = ranks.shape[1], len(counts)
    per_image = orders * 2 * steps
    if per_image == 0:
        return np.zeros((len(images), orders, 2, 0), np.float32)
    chunk = max(1, predict.batch_size // per_image)
    out = []
    for start in range(0, len(images), chunk):
        part = range(start, min(start + chunk, len(images)))
        batch = np.concatenate([step_images(images[i], backgrounds[i], ranks[i], counts)
                                .reshape(per_image, *images.shape[1:]) for i in part])
        probabilities = predict(batch, np.repeat(targets[start:start + len(part)], per_image))
        out.append(probabilities.reshape(len(part), orders, 2, steps))
    return np.concatenate(out)


class _Predictor:
    """The model's outputs (of its folded copy, see folding) compiled once for any batch length;
    counts calls and images."""

    def __init__(self, model, batch_size: int):
        self.batch_size = max(1, int(batch_size))
        self.calls = self.images = 0
        self._forward = compiled_outputs(model)

    def __call__(self, batch: np.ndarray, targets: np.ndarray) -> np.ndarray:
        """Target-class outputs (B,) of one compiled call."""
        scores = np.asarray(self._forward(batch))
        self.calls += 1
        self.images += len(batch)
        usage.count(len(batch))
        return scores[np.arange(len(batch)), targets].astype(np.float32)

    def in_chunks(self, batch: np.ndarray, targets: np.ndarray) -> np.ndarray:
        """Target-class outputs (B,), one call per `batch_size` images."""
        return np.concatenate([self(batch[i:i + self.batch_size], targets[i:i + self.batch_size])
                               for i in range(0, len(batch), self.batch_size)])


def _curve_set(curves: np.ndarray, fractions: np.ndarray) -> CurveSet:
    curves = curves.astype(np.float32)
    auc = np.trapezoid(curves, fractions, axis=1).astype(np.float32)
    return CurveSet(curves, curves.mean(axis=0), auc, float(auc.mean()))


def _check(images, targets, maps):
    images = np.asarray(images, dtype=np.float32)
    if images.ndim != 4 or not len(images):
        raise ValueError(f"images must be (N, H, W, C) with N > 0, got {images.shape}")
    targets = np.broadcast_to(np.asarray(targets, dtype=np.int64), (len(images),))
    for method, values in maps.items():
        if np.shape(values) != images.shape[:3]:
            raise ValueError(f"maps[{method!r}] must be {images.shape[:3]}, got {np.shape(values)}")
    return images, targets
