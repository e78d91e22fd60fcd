"""Whole reports of real-sized FER2013 models against their budgets: a 64x64 Xception and a mini-Xception.

python benchmarks/bench_real_models.py [--models xception64 mini_xception] [--train-rows 28709]
                                       [--baseline DIR] [--set KEY=VALUE ...] [--keep FOLDER]

Two models of the shapes people explain, built here with seeded random weights (timing does
not depend on what they learned) and saved as .keras files in a temporary folder:

- xception64: the "big Xception" of the FER2013 face_classification models on 64x64 grayscale
  input: two stem convolutions, two residual blocks of two separable convolutions with a 1x1
  shortcut (128 and 256 filters), a class-score convolution and global pooling: 9 convolution
  stages, about 205,000 parameters. Saved with Adam's state, as a trained Keras 2 .hdf5 of it
  is, the file holds about 2.6 MB;
- mini_xception: the classic FER mini-Xception (Arriaga et al. 2017) on 48x48: two stem
  convolutions, four residual separable blocks (16 to 128 filters), a class-score convolution.

The data is a FER2013 CSV of the real split sizes (Training 28,709 rows, PublicTest and
PrivateTest 3,589 each; the report explains the PrivateTest split) with random pixels. Each
model's class-score bias is set so its predictions on the evaluated split follow FER2013's
class frequencies, and two thirds of those rows are labelled with the predicted class (about
FER2013's accuracy), so the steps that depend on correct predictions (class means) do a real
model's amount of work.

Each model is reported by `python -m generator build --quiet` in a fresh process and project
(bench_build.make_project), as a user runs it: --set model.path=<file> data.format=fer2013-csv.
Prints each build's time against its budget, its per-stage times (run.json), the CPU count
and load average, and one JSON line. With --baseline DIR (a folder holding another version's
`generator` package, such as an export of the main branch), every build is run with that code
too, back to back, and the two are printed side by side with their ratio.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402

from benchmarks.bench_build import make_project, timed_build  # noqa: E402

BUDGETS = {"xception64": 120.0, "mini_xception": 90.0}   # seconds on 2 cores
SPLIT_ROWS = {"PublicTest": 3589, "PrivateTest": 3589}
EVALUATED = "PrivateTest"
FER2013_SHARES = np.array([4953, 547, 5121, 8989, 6077, 4002, 6198]) / 35887
ACCURACY = 2 / 3
CLASSES = 7


def xception64(keras):
    """big_XCEPTION of oarriaga/face_classification at 64x64x1: 9 convolution stages."""
    layers = keras.layers
    inputs = keras.Input((64, 64, 1), name="image")
    x = _conv_bn_relu(layers, inputs, 32, strides=2)
    x = _conv_bn_relu(layers, x, 64)
    for filters in (128, 256):
        x = _residual_block(layers, x, filters, activate_first=filters != 128)
    return keras.Model(inputs, _class_head(layers, x), name="xception64")


def mini_xception(keras):
    """mini_XCEPTION of oarriaga/face_classification at 48x48x1 (without its L2 penalty, which
    changes nothing at inference)."""
    layers = keras.layers
    inputs = keras.Input((48, 48, 1), name="image")
    x = _conv_bn_relu(layers, inputs, 8)
    x = _conv_bn_relu(layers, x, 8)
    for filters in (16, 32, 64, 128):
        x = _residual_block(layers, x, filters, activate_first=False)
    return keras.Model(inputs, _class_head(layers, x), name="mini_xception")


def _conv_bn_relu(layers, x, filters: int, strides: int = 1):
    x = layers.Conv2D(filters, 3, strides=strides, use_bias=False)(x)
    return layers.Activation("relu")(layers.BatchNormalization()(x))


def _residual_block(layers, x, filters: int, activate_first: bool):
    """A 1x1 strided shortcut beside two separable convolutions and 3x3 max pooling, added."""
    shortcut = layers.BatchNormalization()(layers.Conv2D(filters, 1, strides=2, padding="same", use_bias=False)(x))
    if activate_first:
        x = layers.Activation("relu")(x)
    x = layers.SeparableConv2D(filters, 3, padding="same", use_bias=False)(x)
    x = layers.Activation("relu")(layers.BatchNormalization()(x))
    x = layers.BatchNormalization()(layers.SeparableConv2D(filters, 3, padding="same", use_bias=False)(x))
    x = layers.MaxPooling2D(3, strides=2, padding="same")(x)
    return layers.Add()([x, shortcut])


def _class_head(layers, x):
    x = layers.Conv2D(CLASSES, 3, padding="same", name="class_scores")(x)
    return layers.Activation("softmax", name="predictions")(layers.GlobalAveragePooling2D()(x))


MODELS = {"xception64": xception64, "mini_xception": mini_xception}


def build_model(name: str, evaluated: np.ndarray, seed: int):
    """The seeded random model, its batch-norm statistics varied and its class-score bias set so its
    predictions on `evaluated` ([0, 1] images, N x 48 x 48) follow FER2013's class frequencies."""
    import keras
    import tensorflow as tf

    keras.utils.set_random_seed(seed)
    model = MODELS[name](keras)
    rng = np.random.default_rng(seed)
    for layer in model.layers:
        if isinstance(layer, keras.layers.BatchNormalization):
            gamma, beta, mean, variance = layer.get_weights()
            layer.set_weights([rng.uniform(0.8, 1.2, gamma.shape), rng.normal(0, 0.1, beta.shape),
                               rng.normal(0, 0.1, mean.shape), rng.uniform(0.8, 1.2, variance.shape)])
    inputs = tf.image.resize(evaluated[..., None], model.input_shape[1:3]).numpy()
    model.compile(keras.optimizers.Adam(), "sparse_categorical_crossentropy")
    model.train_on_batch(inputs[:8], np.zeros(8, np.int64))   # Adam's state, as a trained model's file has
    logits = np.log(model.predict(inputs, batch_size=256, verbose=0) + 1e-12)
    head = model.get_layer("class_scores")
    kernel, bias = head.get_weights()
    head.set_weights([kernel, bias + balancing_bias(logits, FER2013_SHARES)])
    return model, model.predict(inputs, batch_size=256, verbose=0).argmax(axis=1)


def balancing_bias(logits: np.ndarray, shares: np.ndarray, rounds: int = 50) -> np.ndarray:
    """Per-class offsets after which argmax(logits + offset) gives each class about its share: each
    round moves each class's offset to where that share of the images has it ahead of the others."""
    offset = np.zeros(logits.shape[1])
    for _ in range(rounds):
        for k, share in enumerate(shares):
            scores = logits + offset
            margin = scores[:, k] - np.delete(scores, k, axis=1).max(axis=1)
            offset[k] -= np.quantile(margin, 1 - share)
    return offset.astype(np.float32)


def random_pixels(rows: int, rng: np.random.Generator) -> np.ndarray:
    """Smooth random 48x48 images (noise blurred a little, as faces are smoother than noise)."""
    from scipy.ndimage import gaussian_filter

    noise = rng.random((rows, 48, 48), dtype=np.float32)
    smooth = np.clip(gaussian_filter(noise, sigma=(0, 1.5, 1.5)) * 4 - 1.5, 0, 1)
    return (np.round(smooth * 255) / 255).astype(np.float32)   # what the CSV holds


def write_fer2013(path: Path, images: dict, labels: dict) -> None:
    """The Kaggle `emotion,pixels,Usage` CSV of the given [0, 1] images per Usage."""
    words = np.array([str(value) for value in range(256)], dtype=object)
    with path.open("w", encoding="ascii") as handle:
        handle.write("emotion,pixels,Usage\n")
        for usage, split in images.items():
            pixels = np.round(split.reshape(len(split), -1) * 255).astype(np.uint8)
            handle.writelines(f"{label},{' '.join(words[row])},{usage}\n" for label, row in zip(labels[usage], pixels))


def make_data(folder: Path, name: str, train_rows: int, seed: int) -> tuple[Path, Path]:
    """The model file and the CSV for `name`, in `folder`."""
    rng = np.random.default_rng(seed)
    sizes = {"Training": train_rows, **SPLIT_ROWS}
    images = {usage: random_pixels(rows, rng) for usage, rows in sizes.items()}
    model, predicted = build_model(name, images[EVALUATED], seed)
    model_path = folder / f"{name}.keras"
    model.save(model_path)
    labels = {usage: rng.choice(CLASSES, size=rows, p=FER2013_SHARES) for usage, rows in sizes.items()}
    agree = rng.random(len(predicted)) < ACCURACY
    labels[EVALUATED] = np.where(agree, predicted, labels[EVALUATED])
    csv = folder / f"{name}.csv"
    write_fer2013(csv, images, labels)
    return model_path, csv


def report_build(folder: Path, model_path: Path, csv: Path, overrides: list[str], code: Path | None) -> dict:
    config = make_project(folder)
    settings = [f"model.path={model_path}", "data.format=fer2013-csv", f"data.path={csv}", *overrides]
    return timed_build(config, settings, code)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", choices=tuple(MODELS), default=list(MODELS))
    parser.add_argument("--train-rows", type=int, default=28709, help="rows of the Training split")
    parser.add_argument("--baseline", type=Path, help="a folder holding another version's generator package")
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                        help="passed to every build (for example to switch off a check random weights fail)")
    parser.add_argument("--keep", type=Path, help="work in this folder and keep it (default: a temporary one)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    load_start = os.getloadavg()
    builds: dict[str, dict] = {}
    with tempfile.TemporaryDirectory(prefix="bench-real-") as temporary:
        work = args.keep or Path(temporary)
        work.mkdir(parents=True, exist_ok=True)
        for name in args.models:
            model_path, csv = make_data(work, name, args.train_rows, args.seed)
            print(f"{name}: {model_path.stat().st_size / 1e6:.1f} MB model file, "
                  f"{csv.stat().st_size / 1e6:.0f} MB CSV", flush=True)
            builds[name] = {"product": report_build(work / f"{name}-product", model_path, csv, args.overrides, None)}
            if args.baseline:
                builds[name]["baseline"] = report_build(work / f"{name}-baseline", model_path, csv,
                                                        args.overrides, args.baseline.resolve())
    load_end = os.getloadavg()
    print(f"{os.cpu_count()} CPUs, load average {load_start[0]:.1f} at the start, {load_end[0]:.1f} at the end")
    results = [print_model(name, runs) for name, runs in builds.items()]
    print(json.dumps({"benchmark": "real_models", "cpus": os.cpu_count(), "python": platform.python_version(),
                      "load_average_start": [round(v, 2) for v in load_start],
                      "load_average_end": [round(v, 2) for v in load_end], "train_rows": args.train_rows,
                      "overrides": args.overrides, "results": results,
                      "all_within": all(r["within"] for r in results),
                      "stages": {name: {way: build["stages"] for way, build in runs.items()}
                                 for name, runs in builds.items()}}))


def print_model(name: str, runs: dict) -> dict:
    """Prints one model's time against its budget (and the baseline's), then its stages; returns its result."""
    product, baseline = runs["product"], runs.get("baseline")
    budget, seconds = BUDGETS[name], product["seconds"]
    within = seconds <= budget
    against = f"  baseline {baseline['seconds']:.1f} s, {baseline['seconds'] / seconds:.2f}x" if baseline else ""
    print(f"{name:14s} {seconds:7.1f} s  budget {budget:4.0f} s  {seconds / budget:5.2f} of budget  "
          f"{'ok' if within else 'OVER'}  ({product['cpu_seconds']:.1f} s CPU){against}")
    ways = [product] + ([baseline] if baseline else [])
    print("  stage seconds" + (" (product / baseline)" if baseline else "") + ":")
    for stage in dict.fromkeys(s for way in ways for s in way["stages"]):
        times = " / ".join(f"{way['stages'].get(stage, {}).get('seconds', 0):7.1f}" for way in ways)
        print(f"    {stage:30s} {times}")
    return {"name": name, "value": seconds, "unit": "s", "budget": budget, "ratio": round(seconds / budget, 3),
            "within": within, "cpu_seconds": product["cpu_seconds"],
            "baseline_seconds": baseline["seconds"] if baseline else None}


if __name__ == "__main__":
    main()
