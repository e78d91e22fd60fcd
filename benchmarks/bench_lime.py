"""LIME for seven 48x48 faces: the product's batched, compiled classifier against lime's defaults.

python benchmarks/bench_lime.py [--samples 1000] [--epochs 10]

A small FER-shaped CNN (generator.model.architectures "small") is trained briefly on synthetic
faces; one face per class is explained for its class by both ways with the same
superpixels, number of samples and random_state:

- product: generator.explain.lime_method.compute_lime (perturbations built by array
  indexing, one tf.function call per 1000 samples);
- lime defaults: LimeImageExplainer.explain_instance(batch_size=10) with a
  model.predict classifier_fn.

Prints both times, the ratio, the largest difference between the superpixel
weights, and one JSON line.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("TQDM_DISABLE", "1")  # lime's progress bar, same for both ways
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402

from benchmarks.small_cnn import briefly_trained_cnn  # noqa: E402


def trained_model(epochs: int, seed: int):
    """The briefly trained CNN and one training face of each class."""
    model, faces, _ = briefly_trained_cnn(100, epochs, seed)
    one_each = np.array([np.flatnonzero(faces.labels == c)[0] for c in range(7)])
    return model, faces.images[one_each], faces.labels[one_each]


def lime_defaults(model, images, labels, samples: int, seed: int):
    """lime as documented: batch_size=10, a model.predict classifier_fn."""
    from lime.lime_image import LimeImageExplainer

    from generator.explain.lime_method import segment_image

    weights = []
    for image, label in zip(images, labels):
        segments = segment_image(image)
        explanation = LimeImageExplainer(random_state=seed).explain_instance(
            image[..., 0].astype(np.float64),
            lambda batch: model.predict(batch[..., :1], verbose=0),
            labels=(int(label),), top_labels=None, hide_color=0.0, num_samples=samples,
            segmentation_fn=lambda _, s=segments: s, random_seed=seed)
        row = np.zeros(segments.max() + 1)
        for segment, weight in explanation.local_exp[int(label)]:
            row[segment] = weight
        weights.append(row)
    return weights


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=1000)
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    from generator.explain.lime_method import compute_lime

    model, images, labels = trained_model(args.epochs, args.seed)
    model(images[:1], training=False)  # TF start-up, billed to neither way

    start = time.perf_counter()
    ours = compute_lime(model, images, labels, num_samples=args.samples, seed=args.seed)
    product_s = time.perf_counter() - start

    start = time.perf_counter()
    theirs = lime_defaults(model, images, labels, args.samples, args.seed)
    lime_s = time.perf_counter() - start

    max_diff = max(float(np.abs(a.weights - b).max()) for a, b in zip(ours, theirs))
    max_weight = max(float(np.abs(b).max()) for b in theirs)
    segments = [len(r.weights) for r in ours]
    print(f"images: {len(images)} x {images.shape[1:]}, samples: {args.samples}, "
          f"superpixels: {min(segments)}-{max(segments)}")
    print(f"product (batched, compiled): {product_s:8.2f} s")
    print(f"lime defaults (batch 10):    {lime_s:8.2f} s")
    print(f"ratio: {lime_s / product_s:.1f}x")
    print(f"max |weight difference|: {max_diff:.2e} ({'ok' if max_diff <= 1e-4 else 'TOO LARGE'}),"
          f" largest |weight|: {max_weight:.3f}")
    print(json.dumps({"benchmark": "lime", "images": len(images), "samples": args.samples,
                      "product_s": round(product_s, 3), "lime_defaults_s": round(lime_s, 3),
                      "ratio": round(lime_s / product_s, 2), "max_weight_diff": max_diff,
                      "max_abs_weight": round(max_weight, 4),
                      "weights_equal": max_diff <= 1e-4}))


if __name__ == "__main__":
    main()
