"""Saliency and SmoothGrad: the product's compiled gradients against tf-keras-vis's Saliency.

python benchmarks/bench_saliency.py [--images 7 56] [--samples 20] [--epochs 2]

A default-shaped CNN (generator.model.architectures "small", 48x48x1, 7 classes) is trained briefly on
synthetic faces (not timed). For each image count (the default report explains 7 sample
faces, and 56 more in section 5, 7 faces again at each randomisation stage), vanilla
saliency and SmoothGrad (20 noisy copies) are computed both ways; each way is run once
untimed (tracing), then timed. The product gives every image the same seeded draws, which
tf-keras-vis makes only for a batch of one, so the maps are compared on the whole batch for
saliency and on the first image alone for SmoothGrad. Prints both times, their ratio, the
largest difference of the maps relative to their largest value, and a JSON line.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import warnings
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402

from benchmarks.small_cnn import briefly_trained_cnn  # noqa: E402


def library_saliency(model, samples: int, seed: int):
    """tf-keras-vis's Saliency on a linear-output clone, as the product used it before."""
    from tf_keras_vis.saliency import Saliency
    from tf_keras_vis.utils.model_modifiers import ReplaceToLinear
    from tf_keras_vis.utils.scores import CategoricalScore

    saliency = Saliency(model, model_modifier=ReplaceToLinear(), clone=True)

    def explain(images, targets):
        warnings.filterwarnings("ignore", message="The structure of `inputs`")   # tf-keras-vis passes a list
        vanilla = saliency(CategoricalScore(targets.tolist()), images, normalize_map=False)
        state = np.random.get_state()
        np.random.seed(seed)
        smooth = saliency(CategoricalScore(targets.tolist()), images, smooth_samples=samples,
                          smooth_noise=0.2, normalize_map=False)
        np.random.set_state(state)
        return np.asarray(vanilla, np.float32), np.asarray(smooth, np.float32)

    return explain


def product_saliency(model, samples: int, seed: int):
    from generator.explain.saliency import compute_saliency, compute_smoothgrad

    return lambda images, targets: (compute_saliency(model, images, targets),
                                    compute_smoothgrad(model, images, targets, samples, 0.2, seed))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, nargs="+", default=[7, 56])
    parser.add_argument("--samples", type=int, default=20)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    from generator.data.synthetic import make_synthetic_faces

    model, _, _ = briefly_trained_cnn(300, args.epochs, args.seed)
    held_out = make_synthetic_faces(per_class=-(-max(args.images) // 7), seed=args.seed + 1)

    ways = {"product": product_saliency(model, args.samples, args.seed),
            "tf_keras_vis": library_saliency(model, args.samples, args.seed)}
    results = []
    for count in args.images:
        images, targets = held_out.images[:count], held_out.labels[:count]
        maps, seconds = {}, {}
        for name, explain in ways.items():
            explain(images, targets)
            start = time.perf_counter()
            maps[name] = explain(images, targets)
            seconds[name] = time.perf_counter() - start
        one = [way(images[:1], targets[:1])[1] for way in ways.values()]
        difference = max(float(np.abs(ours - theirs).max() / np.abs(theirs).max())
                         for ours, theirs in ((maps["product"][0], maps["tf_keras_vis"][0]), one))
        ratio = seconds["tf_keras_vis"] / seconds["product"]
        print(f"{count} faces, saliency + SmoothGrad ({args.samples} copies): product {seconds['product']:.2f} s, "
              f"tf-keras-vis {seconds['tf_keras_vis']:.2f} s, ratio {ratio:.1f}x; "
              f"largest map difference {difference:.1e} of the largest value")
        results.append({"images": count, "product_s": round(seconds["product"], 3),
                        "tf_keras_vis_s": round(seconds["tf_keras_vis"], 3), "ratio": round(ratio, 2),
                        "max_relative_difference": difference})
    print(json.dumps({"benchmark": "saliency", "samples": args.samples, "results": results}))


if __name__ == "__main__":
    main()
