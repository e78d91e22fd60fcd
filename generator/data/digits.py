"""scikit-learn's handwritten digits (UCI, 1,797 8x8 images, 10 classes), shipped with the library."""

from __future__ import annotations

import numpy as np
from PIL import Image

from generator.data import Dataset, Split, split_by_fractions

DIGITS_SIZE = (32, 32)  # 8x8 upscaled: big enough for the small CNN's three poolings and its maps
_MAX_VALUE = 16.0       # the data's pixel values run 0..16 (ink counts in 4x4 blocks)


def load_sklearn_digits(class_names: tuple[str, ...], size: tuple[int, int] | None = None,
                        fractions: tuple[float, float, float] = (0.8, 0.1, 0.1), seed: int = 0) -> Dataset:
    """(N, H, W, 1) float32 gray digits in [0, 1] (white ink on black), bilinear-upscaled to `size`
    (default 32x32); labels 0-9 named by `class_names`; seeded splits by `fractions`.
    `rows` are 1-based positions in the data set's own order."""
    from sklearn.datasets import load_digits

    digits = load_digits()
    size = tuple(size or DIGITS_SIZE)
    images = np.stack([_upscale(image / _MAX_VALUE, size) for image in digits.images])[..., None]
    everything = Split(images, digits.target.astype(np.int64), np.arange(1, len(images) + 1))
    parts = split_by_fractions(len(images), fractions, seed)
    return Dataset("sklearn-digits", tuple(class_names), *(everything.take(index) for index in parts))


def _upscale(image: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    resized = Image.fromarray(image.astype(np.float32), mode="F").resize((size[1], size[0]),
                                                                        Image.Resampling.BILINEAR)
    return np.clip(np.asarray(resized, np.float32), 0.0, 1.0)
