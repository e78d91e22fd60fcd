"""The report's default CNN, briefly trained on synthetic faces: the model the benchmarks explain.

Not a benchmark itself (`python -m benchmarks` runs only bench_*.py).
"""

from __future__ import annotations


def briefly_trained_cnn(per_class: int, epochs: int, seed: int):
    """The default CNN (48x48x1, 7 classes) after `epochs` epochs of Adam (1e-3,
    batch 32) on `per_class` synthetic faces a class, all seeded; returns (model, faces, history)."""
    import keras

    from generator.data.synthetic import make_synthetic_faces
    from generator.model.architectures import build_model

    keras.utils.set_random_seed(seed)
    faces = make_synthetic_faces(per_class=per_class, seed=seed)
    model = build_model("small", faces.images.shape[1:], 7)
    model.compile(keras.optimizers.Adam(1e-3), "sparse_categorical_crossentropy", metrics=["accuracy"])
    fit = model.fit(faces.images, faces.labels, epochs=epochs, batch_size=32, verbose=0)
    return model, faces, fit.history


def cnn_and_faces(images: int, epochs: int, seed: int):
    """The briefly trained CNN (300 faces a class) and `images` held-out synthetic faces with their labels."""
    import numpy as np

    from generator.data.synthetic import make_synthetic_faces

    model, _, _ = briefly_trained_cnn(300, epochs, seed)
    held_out = make_synthetic_faces(per_class=-(-images // 7), seed=seed + 1)
    return model, held_out.images[:images], held_out.labels[:images].astype(np.int64)


def time_each(ways: dict, images, targets) -> tuple[dict, dict]:
    """name -> result and name -> seconds of each way, callable(images, targets): run once untimed
    on a few images (tracing), then timed on all."""
    import time

    results, seconds = {}, {}
    for name, explain in ways.items():
        explain(images[:4], targets[:4])
        start = time.perf_counter()
        results[name] = explain(images, targets)
        seconds[name] = time.perf_counter() - start
    return results, seconds


def faces_arguments(description: str, images: int = 350):
    """--images (held-out faces to explain), --epochs (of the brief training) and --seed, parsed."""
    import argparse

    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--images", type=int, default=images)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    return parser.parse_args()


def report_against_library(benchmark: str, heading: str, labels: dict, seconds: dict, difference: float,
                           **facts) -> None:
    """Print the product's and tf-keras-vis's times (`labels`: way -> label), their ratio and the
    largest map difference relative to the largest value, then the JSON line with `facts`."""
    import json

    ratio = seconds["tf_keras_vis"] / seconds["product"]
    print(heading)
    for way, label in labels.items():
        print(f"  {label + ':':<42}{seconds[way]:7.2f} s")
    print(f"  ratio {ratio:.1f}x; largest map difference {difference:.2e} of the largest value")
    print(json.dumps({"benchmark": benchmark, **facts, "product_s": round(seconds["product"], 3),
                      "tf_keras_vis_s": round(seconds["tf_keras_vis"], 3), "ratio": round(ratio, 2),
                      "max_relative_difference": difference}))
