"""Filter visualisation of a 64-filter conv layer: the batched compiled ascent against tf-keras-vis.

python benchmarks/bench_filters.py [--steps 100] [--per-filter 8] [--epochs 2]

A small FER-shaped CNN (48x48x1: Conv16-Conv16-Pool-Conv64-Pool-Conv64-Pool-GAP-Dense,
softmax) is trained briefly on synthetic faces. Its third conv layer (64 filters) is
visualised three ways, from the same mid-grey seeded starts, with the same number of
steps, input range and regularisation (one-pixel jitter each step; the product also
blurs every 4 steps, which tf-keras-vis has no modifier for; tf-keras-vis's total
variation is left out, since its weight is in activation units and at 0.1 it halves
the activations this model reaches). tf-keras-vis steps with Adam(0.05); the product
takes RMS-normalised steps of 0.05 and clips to the input range each step:

- product: generator.explain.filters.compute_filter_patterns (all filters in one
  batch, one tf.function step; time includes cloning the model and tracing);
- am per filter: ActivationMaximization called once per filter, as course code does
  (timed on --per-filter filters and extrapolated to 64 unless --per-filter 64);
- am batched: one ActivationMaximization call over all 64 filters.

Prints wall and CPU seconds, ratios and the mean activation each way reached (every
pattern scored by the same function), and one JSON line. On a shared machine the CPU
seconds (all threads of this process) are the steadier figure.
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

LAYER = "conv3"


def fer_shaped_cnn():
    import keras
    from keras import layers

    inputs = keras.Input((48, 48, 1))
    x = layers.Conv2D(16, 3, padding="same", activation="relu", name="conv1")(inputs)
    x = layers.Conv2D(16, 3, padding="same", activation="relu", name="conv2")(x)
    x = layers.MaxPooling2D()(x)
    x = layers.Conv2D(64, 3, padding="same", activation="relu", name=LAYER)(x)
    x = layers.MaxPooling2D()(x)
    x = layers.Conv2D(64, 3, padding="same", activation="relu", name="conv4")(x)
    x = layers.GlobalAveragePooling2D()(layers.MaxPooling2D()(x))
    return keras.Model(inputs, layers.Dense(7, activation="softmax")(x))


def trained_model(epochs: int, seed: int):
    import keras

    from generator.data.synthetic import make_synthetic_faces

    keras.utils.set_random_seed(seed)
    model = fer_shaped_cnn()
    if epochs:
        faces = make_synthetic_faces(per_class=60, seed=seed)
        model.compile("adam", "sparse_categorical_crossentropy")
        model.fit(faces.images, faces.labels, epochs=epochs, batch_size=32, verbose=0, shuffle=True)
    return model


def own_activations(model, patterns: np.ndarray, filters) -> np.ndarray:
    """Mean response of filter filters[i] to patterns[i] (the same scoring for every way)."""
    import keras

    layer = keras.Model(model.inputs[0], model.get_layer(LAYER).output)
    response = np.asarray(layer(patterns, training=False)).mean(axis=(1, 2))
    return response[np.arange(len(filters)), filters]


def am_settings():
    import keras
    from tf_keras_vis.activation_maximization.input_modifiers import Jitter

    return dict(input_range=(0.0, 1.0), input_modifiers=[Jitter(jitter=1)], regularizers=[],
                optimizer=keras.optimizers.Adam(learning_rate=0.05))


def am_per_filter(model, starts, filters, steps):
    """Course-code style: one ActivationMaximization, called once per filter."""
    import tensorflow as tf
    from tf_keras_vis.activation_maximization import ActivationMaximization
    from tf_keras_vis.utils.model_modifiers import ExtractIntermediateLayer

    maximise = ActivationMaximization(model, model_modifier=ExtractIntermediateLayer(LAYER), clone=True)
    patterns = []
    for f in filters:
        score = lambda output, f=f: tf.reduce_mean(output[..., f], axis=(1, 2))  # noqa: E731
        patterns.append(maximise(score, seed_input=starts[f], steps=steps, **am_settings())[0])
    return np.array(patterns)


def am_batched(model, starts, steps):
    """One ActivationMaximization call: input i maximises filter i."""
    import tensorflow as tf
    from tf_keras_vis.activation_maximization import ActivationMaximization
    from tf_keras_vis.utils.model_modifiers import ExtractIntermediateLayer

    maximise = ActivationMaximization(model, model_modifier=ExtractIntermediateLayer(LAYER), clone=True)
    score = lambda output: tf.linalg.diag_part(tf.reduce_mean(output, axis=(1, 2)))  # noqa: E731
    return np.asarray(maximise(score, seed_input=starts, steps=steps, **am_settings()))


def timed(function, *args):
    """(value, wall seconds, CPU seconds of this process)."""
    wall, cpu = time.perf_counter(), time.process_time()
    value = function(*args)
    return value, time.perf_counter() - wall, time.process_time() - cpu


def main() -> None:
    from generator.explain.filters import compute_filter_patterns, start_inputs

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("--per-filter", type=int, default=8, help="filters timed one by one (64: all)")
    parser.add_argument("--epochs", type=int, default=2, help="brief training on synthetic faces (0: random)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    model = trained_model(args.epochs, args.seed)
    count = int(model.get_layer(LAYER).output.shape[-1])
    starts = start_inputs((48, 48, 1), count, args.seed)
    every = np.arange(count)
    subset = np.linspace(0, count - 1, min(args.per_filter, count)).round().astype(int)

    product, product_s, product_cpu = timed(compute_filter_patterns, model, LAYER, args.steps, args.seed)
    assert np.allclose(product.start_activation, own_activations(model, starts, every), rtol=1e-4, atol=1e-6)
    np.random.seed(args.seed)  # tf-keras-vis jitters with the global NumPy generator
    per_filter, per_filter_s, per_filter_cpu = timed(am_per_filter, model, starts, subset, args.steps)
    scale = count / len(subset)
    batched, batched_s, batched_cpu = timed(am_batched, model, starts, args.steps)

    reached = {"product": own_activations(model, product.patterns, every),
               "am_batched": own_activations(model, batched, every),
               "am_per_filter": own_activations(model, per_filter, subset)}
    ways = [("product_batched_compiled", product_s, product_cpu, reached["product"].mean()),
            ("am_per_filter", per_filter_s * scale, per_filter_cpu * scale, reached["am_per_filter"].mean()),
            ("am_batched", batched_s, batched_cpu, reached["am_batched"].mean())]
    note = "" if len(subset) == count else f" (timed on {len(subset)} filters, x{count / len(subset):g})"
    print(f"layer {LAYER}: {count} filters, {args.steps} steps, 48x48x1, {os.cpu_count()} CPUs, "
          f"load average {os.getloadavg()[0]:.1f}")
    results = []
    for name, seconds, cpu, activation in ways:
        ratio, cpu_ratio = seconds / product_s, cpu / product_cpu
        extra = note if name == "am_per_filter" else ""
        print(f"{name:26s} {seconds:8.2f} s wall ({ratio:5.1f}x)  {cpu:8.2f} s CPU ({cpu_ratio:5.1f}x)  "
              f"mean activation {activation:.4f}{extra}")
        results.append({"name": name, "seconds": round(seconds, 3), "ratio": round(ratio, 2),
                        "cpu_seconds": round(cpu, 3), "cpu_ratio": round(cpu_ratio, 2),
                        "mean_activation": round(float(activation), 4)})
    same_subset = reached["product"][subset].mean()
    within = lambda a, b: bool(abs(a / b - 1) <= 0.2)  # noqa: E731
    comparable = {"am_batched": within(reached["am_batched"].mean(), reached["product"].mean()),
                  "am_per_filter": within(reached["am_per_filter"].mean(), same_subset)}
    print(f"reached activations within 20% of the product's: {comparable}  "
          f"(product on the per-filter subset: {same_subset:.3f}); product dead filters: "
          f"{int(product.dead.sum())}")
    print(json.dumps({"benchmark": "filters", "layer": LAYER, "filters": count, "steps": args.steps,
                      "cpus": os.cpu_count(), "load_average": round(os.getloadavg()[0], 1),
                      "per_filter_timed": int(len(subset)), "per_filter_extrapolated": bool(note),
                      "comparable": comparable, "results": results}))


if __name__ == "__main__":
    main()
