"""Section 5 at its default size: the maps it needs, each trust measure, and batched vs per-image deletion.

python benchmarks/bench_trust.py [--epochs 3] [--eval-per-class 8] [--steps 20]

A default-shaped CNN (generator.model.architectures "small", 48x48x1, 7 classes) is trained briefly
on synthetic faces (500 per class; not timed). Then, timed stage by stage:

- maps: saliency, SmoothGrad (20 samples) and the four CAMs of the last conv layer for
  the evaluation faces (7 x eval-per-class, held out); all of them and LIME (1000
  samples) for the 7 sample faces (one per class), which sections 1-4 compute anyway;
- deletion/insertion: the six methods on the evaluation faces, LIME on the samples;
- randomisation: cascading over the weighted layers (batch norm with its conv), all seven
  methods on the samples, the trained model's maps taken from the sample maps;
- localisation against the evidence masks, agreement between the six methods;
- figures.

Then deletion/insertion of the evaluation faces again as a naive loop: one
model.predict per image, pixel order and curve (steps + 1 images each), with the same
pixel orders; prints both times, their ratio, the largest curve difference, and a JSON line.
Each stage reports wall and process CPU seconds: the machine is shared, so wall time
depends on the load; CPU seconds do much less.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from contextlib import contextmanager
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("TQDM_DISABLE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402

from benchmarks.small_cnn import briefly_trained_cnn  # noqa: E402

GRADIENT_METHODS = ("saliency", "smoothgrad")
SMOOTH_SAMPLES = 20
LIME_SAMPLES = 1000
BUDGET_S = 90.0   # the whole section for the default configuration, on 2 cores


def trained_model(epochs: int, seed: int, path: str | None):
    """The briefly trained small CNN and its last training accuracy; with `path`, loaded from
    there when present, otherwise trained and saved there."""
    import keras

    if path and Path(path).exists():
        return keras.models.load_model(path), float("nan")
    model, _, history = briefly_trained_cnn(500, epochs, seed)
    if path:
        model.save(path)
    return model, float(history["accuracy"][-1])


def explainers(layer: str, seed: int) -> dict:
    """The report's explainers (the method registry), at the benchmark's sizes."""
    from generator.explain.methods import METHODS, ExplainSettings
    from generator.explain.methods import explainers as build

    return build(METHODS, ExplainSettings(seed=seed, smooth_samples=SMOOTH_SAMPLES, cam_layer=layer,
                                          lime_samples=LIME_SAMPLES))


def naive_deletion_insertion(model, images, targets, maps, steps, seed, baseline):
    """The same curves, one model.predict per image, pixel order and curve."""
    from generator.analysis.trust.deletion import baseline_images, pixel_orders, step_images

    ranks = pixel_orders(maps, images.shape[:3], seed)
    backgrounds = baseline_images(images, baseline)
    counts = np.round(np.linspace(0, 1, steps + 1) * images.shape[1] * images.shape[2]).astype(np.int64)
    curves = np.zeros((len(images), ranks.shape[1], 2, steps + 1), np.float32)
    calls = 0
    for i, (image, background, target) in enumerate(zip(images, backgrounds, targets)):
        for order in range(ranks.shape[1]):
            both = step_images(image, background, ranks[i, order:order + 1], counts)[0]
            for curve in range(2):
                curves[i, order, curve] = model.predict(both[curve], verbose=0)[:, target]
                calls += 1
    return curves, calls


@contextmanager
def timed(record: dict, name: str):
    """Wall and process CPU seconds of the block (CPU / 2 is its wall time on two free cores
    if it uses both), and the model calls and images it made (generator.usage)."""
    from generator import usage

    start, cpu = time.perf_counter(), time.process_time()
    calls, images = usage.TOTAL.calls, usage.TOTAL.images
    entry = {}
    yield entry
    entry["seconds"] = round(time.perf_counter() - start, 3)
    entry["cpu_seconds"] = round(time.process_time() - cpu, 3)
    entry["model_calls"] = usage.TOTAL.calls - calls
    entry["model_images"] = usage.TOTAL.images - images
    record[name] = entry


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--eval-per-class", type=int, default=8)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--skip-naive", action="store_true")
    parser.add_argument("--model", help="a .keras file: loaded if present, else trained and saved there")
    args = parser.parse_args()

    from generator.analysis.trust import (
        compute_agreement,
        compute_deletion_insertion,
        compute_localisation,
        compute_randomisation_check,
    )
    from generator.config import AGREEMENT_THRESHOLD, RANDOMISATION_THRESHOLD
    from generator.data.synthetic import make_synthetic_faces
    from generator.explain.common import resolve_conv_layer
    from generator.explain.methods import methods_on
    from generator.figures.trust import (
        plot_agreement,
        plot_deletion_insertion,
        plot_randomisation_correlations,
        plot_randomisation_maps,
    )

    start = time.perf_counter()
    model, accuracy = trained_model(args.epochs, args.seed, args.model)
    train_s = time.perf_counter() - start
    held_out = make_synthetic_faces(per_class=args.eval_per_class, seed=args.seed + 1)
    images, labels = held_out.images, held_out.labels
    one_each = np.array([np.flatnonzero(labels == c)[0] for c in range(7)])
    samples, sample_labels = images[one_each], labels[one_each]
    layer = resolve_conv_layer(model, None, "methods.cams.layer")
    explain = explainers(layer, args.seed)
    model(images[:1], training=False)  # TF start-up, billed to no stage
    eval_methods = [m.key for m in (*methods_on("saliency"), *methods_on("gradcam"))]

    stages: dict = {}
    with timed(stages, "maps (evaluation faces)"):
        maps = {m: explain[m](model, images, labels) for m in eval_methods}
    with timed(stages, "maps (samples, sections 1-4)"):
        sample_maps = {m: explain[m](model, samples, sample_labels) for m in explain}
    lime_maps = sample_maps["lime"]

    with timed(stages, "deletion/insertion"):
        faithfulness = compute_deletion_insertion(model, images, labels, maps, steps=args.steps, seed=args.seed)
    with timed(stages, "deletion/insertion lime"):
        lime_faith = compute_deletion_insertion(model, samples, sample_labels, {"lime": lime_maps},
                                                steps=args.steps, seed=args.seed)
    with timed(stages, "randomisation") as entry:
        sanity = compute_randomisation_check(model, samples, sample_labels, explain, RANDOMISATION_THRESHOLD,
                                             seed=args.seed, original_maps=sample_maps)
        entry.update(stages=len(sanity.stages), explain_calls=sanity.explain_calls)
    with timed(stages, "localisation"):
        where = {m: compute_localisation(maps[m], held_out.evidence) for m in eval_methods}
        where["lime"] = compute_localisation(lime_maps, held_out.evidence[one_each])
    with timed(stages, "agreement"):
        agreement = compute_agreement(maps, labels, [str(c) for c in range(7)], AGREEMENT_THRESHOLD)
    with timed(stages, "figures"):
        figures = [
            plot_deletion_insertion(faithfulness.fractions,
                                    {m: c.mean_curve for m, c in faithfulness.deletion.items()},
                                    {m: c.mean_curve for m, c in faithfulness.insertion.items()},
                                    faithfulness.random_deletion.mean_curve,
                                    faithfulness.random_insertion.mean_curve),
            plot_randomisation_maps(samples[sanity.example], sanity.example_maps, sanity.stage_names),
            plot_randomisation_correlations(sanity.stage_names, sanity.mean_correlations, sanity.threshold),
            plot_agreement(agreement.matrix, agreement.methods)]
        from generator.figures.common import figure_png
        pngs = [figure_png(fig) for fig in figures]
    total = sum(entry["seconds"] for entry in stages.values())
    total_cpu = sum(entry["cpu_seconds"] for entry in stages.values())
    images_total = sum(entry.get("model_images", 0) for entry in stages.values())

    out = Path(os.environ.get("BENCH_TRUST_FIGURES", "/tmp/bench_trust"))
    out.mkdir(parents=True, exist_ok=True)
    for name, png in zip(("deletion_insertion", "randomisation_maps", "randomisation_correlations",
                          "agreement"), pngs):
        (out / f"{name}.png").write_bytes(png)

    print(f"model: small {images.shape[1:]}, trained {args.epochs} epochs in {train_s:.1f} s "
          f"(train accuracy {accuracy:.3f}); evaluation faces {len(images)}, samples {len(samples)}; "
          f"CAM layer {layer}")
    for name, entry in stages.items():
        extra = "".join(f", {k} {v}" for k, v in entry.items()
                        if k not in ("seconds", "cpu_seconds", "model_images"))
        print(f"  {name:30s} {entry['seconds']:7.2f} s wall {entry['cpu_seconds']:7.2f} s CPU "
              f"{entry.get('model_images', 0):8d} model images{extra}")
    print(f"  {'total':30s} {total:7.2f} s wall {total_cpu:7.2f} s CPU {images_total:8d} model images "
          f"({total / BUDGET_S:.2f} of the {BUDGET_S:.0f} s budget)")
    print("deletion AUC (lower is better) / insertion AUC (higher is better):")
    for method in faithfulness.deletion:
        print(f"  {method:10s} {faithfulness.deletion[method].mean_auc:.3f} / "
              f"{faithfulness.insertion[method].mean_auc:.3f}")
    print(f"  {'lime (7)':10s} {lime_faith.deletion['lime'].mean_auc:.3f} / "
          f"{lime_faith.insertion['lime'].mean_auc:.3f}")
    print(f"  {'random':10s} {faithfulness.random_deletion.mean_auc:.3f} / "
          f"{faithfulness.random_insertion.mean_auc:.3f}")
    print("randomisation: final mean rank correlation, verdict:",
          {m: (round(float(v[-1]), 3), sanity.passed[m]) for m, v in sanity.mean_correlations.items()})
    print("pointing game / evidence mass share:",
          {m: (round(r.pointing_game, 3), round(r.mean_mass_share, 3)) for m, r in where.items()},
          f"evidence area share {where['saliency'].mean_area_share:.3f}")
    print(f"agreement: mean {agreement.mean_agreement:.3f}, per class {np.round(agreement.class_agreement, 3)}, "
          f"disagreeing {agreement.disagreeing}")
    print(f"figures written to {out}")

    report = {"benchmark": "trust", "evaluation_images": len(images), "samples": len(samples),
              "steps": args.steps, "total_s": round(total, 3), "budget_s": BUDGET_S, "total_cpu_s": round(total_cpu, 3),
              "model_images": images_total, "stages": stages}
    if not args.skip_naive:
        start, cpu = time.perf_counter(), time.process_time()
        naive, calls = naive_deletion_insertion(model, images, labels, maps, args.steps, args.seed, "blur")
        naive_s, naive_cpu = time.perf_counter() - start, time.process_time() - cpu
        batched = np.stack([np.stack([faithfulness.deletion[m].curves, faithfulness.insertion[m].curves], 1)
                            for m in maps] + [np.stack([faithfulness.random_deletion.curves,
                                                        faithfulness.random_insertion.curves], 1)], 1)
        diff = float(np.abs(batched - naive).max())
        batched_s = stages["deletion/insertion"]["seconds"]
        batched_cpu = stages["deletion/insertion"]["cpu_seconds"]
        print(f"deletion/insertion, {len(images)} faces x {len(maps) + 1} orders x 2 curves:")
        print(f"  batched (compiled, {faithfulness.model_calls} calls): "
              f"{batched_s:7.2f} s wall {batched_cpu:7.2f} s CPU")
        print(f"  naive (model.predict per image, order and curve, {calls} calls): "
              f"{naive_s:7.2f} s wall {naive_cpu:7.2f} s CPU")
        print(f"  ratio: {naive_s / batched_s:.1f}x wall, {naive_cpu / batched_cpu:.1f}x CPU; "
              f"max |curve difference| {diff:.2e}")
        report.update(naive_s=round(naive_s, 3), naive_cpu_s=round(naive_cpu, 3), batched_s=batched_s,
                      batched_cpu_s=batched_cpu, naive_calls=calls, ratio=round(naive_s / batched_s, 2),
                      cpu_ratio=round(naive_cpu / batched_cpu, 2), max_curve_diff=diff)
    print(json.dumps(report))


if __name__ == "__main__":
    main()
