"""Forward passes of a model and of its folded copy (model/folding.py) side by side, same images.

python benchmarks/bench_folding.py [--images 4000]

Three models: the report's default CNN (48x48x1, briefly trained on synthetic faces, not timed)
and the two real-model shapes of bench_real_models.py (a 64x64 Xception and a mini-Xception,
random weights with varied batch-norm statistics). Each way is one compiled call per 1000 images
(as LIME and Score-CAM send them), run once untimed (tracing), then timed over `--images` random
images. Prints both times, their ratio, the largest difference of the probabilities, and a JSON line.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402

from benchmarks.bench_real_models import MODELS  # noqa: E402
from benchmarks.small_cnn import briefly_trained_cnn  # noqa: E402

BATCH = 1000


def models(seed: int) -> dict:
    import keras

    built = {"default_cnn": briefly_trained_cnn(100, 1, seed)[0]}
    rng = np.random.default_rng(seed)
    for name, make in MODELS.items():
        model = make(keras)
        for layer in model.layers:
            if isinstance(layer, keras.layers.BatchNormalization):
                gamma, beta, mean, variance = layer.get_weights()
                layer.set_weights([rng.uniform(0.8, 1.2, gamma.shape), rng.normal(0, 0.1, beta.shape),
                                   rng.normal(0, 0.1, mean.shape), rng.uniform(0.8, 1.2, variance.shape)])
        built[name] = model
    return built


def timed(forward, images: np.ndarray) -> tuple[float, np.ndarray]:
    forward(images[:8])
    start = time.perf_counter()
    out = np.concatenate([np.asarray(forward(images[i:i + BATCH])) for i in range(0, len(images), BATCH)])
    return time.perf_counter() - start, out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=4000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    import tensorflow as tf

    from generator.model.folding import compiled_outputs, folded_pairs

    results = []
    for name, model in models(args.seed).items():
        shape = tuple(int(size) for size in model.inputs[0].shape[1:])
        images = np.random.default_rng(args.seed).random((args.images, *shape)).astype(np.float32)
        plain = tf.function(lambda x, model=model: model(x, training=False),
                            input_signature=[tf.TensorSpec((None, *shape), tf.float32)])
        model_s, expected = timed(plain, images)
        folded_s, got = timed(compiled_outputs(model), images)
        difference = float(np.abs(got - expected).max())
        results.append({"model": name, "folded_layers": len(folded_pairs(model)), "model_s": round(model_s, 3),
                        "folded_s": round(folded_s, 3), "ratio": round(model_s / folded_s, 2),
                        "max_probability_difference": difference})
        print(f"{name}: {len(folded_pairs(model))} normalisations folded; {args.images} images: model "
              f"{model_s:.2f} s, folded copy {folded_s:.2f} s, {model_s / folded_s:.2f}x; "
              f"largest probability difference {difference:.1e}")
    print(json.dumps({"benchmark": "folding", "images": args.images, "results": results}))


if __name__ == "__main__":
    main()
