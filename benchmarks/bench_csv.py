"""FER2013 CSV loading: the product's loader against the obvious csv + str.split loop.

python benchmarks/bench_csv.py [--rows 35887]

Writes a Kaggle-shaped fer2013.csv with random pixels to a temp folder, loads it
both ways (each in a fresh subprocess, so peak memory is that loader's alone),
checks that both give the same images, and prints the times, the ratio, the
peak resident memory and one JSON line.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]

# Runs in the subprocess: argv = mode, csv path, output .npy path.
CHILD = r"""
import resource, sys, time
import numpy as np
mode, path, out = sys.argv[1:4]
from generator.vocabulary import FER2013_CLASSES
from generator.data.fer2013 import load_fer2013_csv
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
start, cpu = time.perf_counter(), time.process_time()
if mode == "product":
    data = load_fer2013_csv(path, FER2013_CLASSES)
    images, labels = data.train.images, data.train.labels
else:
    import csv
    images, labels, usages = [], [], []
    with open(path, newline="") as file:
        reader = csv.reader(file)
        next(reader)
        for emotion, pixels, usage in reader:
            images.append([int(p) for p in pixels.split()])
            labels.append(int(emotion))
            usages.append(usage)
    images = (np.array(images, np.float32) / 255).reshape(-1, 48, 48, 1)
    train = np.array(usages) == "Training"
    images, labels = images[train], np.array(labels, np.int64)[train]
seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
np.save(out, np.round(images * 255).astype(np.uint8))
print(seconds, cpu, base, peak, len(labels))
"""


def write_csv(path: Path, rows: int, seed: int = 0) -> None:
    """A fer2013.csv of `rows` random images (Usage in the real 80/10/10 proportions)."""
    rng = np.random.default_rng(seed)
    tokens = [str(v).encode() for v in range(256)]
    usages = (b"Training", b"PublicTest", b"PrivateTest")
    with open(path, "wb") as file:
        file.write(b"emotion,pixels,Usage\n")
        for start in range(0, rows, 1000):
            block = rng.integers(0, 256, (min(1000, rows - start), 2304))
            labels = rng.integers(0, 7, len(block))
            for offset, (label, pixels) in enumerate(zip(labels, block)):
                usage = usages[min(2, max(0, (start + offset) * 10 // rows - 7))]
                file.write(b"%d,%s,%s\n" % (label, b" ".join([tokens[v] for v in pixels]), usage))


def run(mode: str, path: Path, out: Path) -> dict:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    result = subprocess.run([sys.executable, "-c", CHILD, mode, str(path), str(out)],
                            capture_output=True, text=True, env=env, check=True)
    seconds, cpu, base, peak, count = result.stdout.split()
    return {"seconds": float(seconds), "cpu_seconds": float(cpu), "base_rss_mb": int(base) / 1024,
            "peak_rss_mb": int(peak) / 1024, "train_images": int(count)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=35887)
    parser.add_argument("--skip-baseline", action="store_true", help="time the product's loader only")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        path = folder / "fer2013.csv"
        start = time.perf_counter()
        write_csv(path, args.rows)
        size_mb = path.stat().st_size / 2**20
        print(f"wrote {args.rows} rows, {size_mb:.0f} MiB in {time.perf_counter() - start:.1f} s")
        product = run("product", path, folder / "product.npy")
        print(f"product loader : {product['seconds']:7.2f} s (CPU {product['cpu_seconds']:.2f} s), "
              f"peak RSS {product['peak_rss_mb']:.0f} MiB (after imports {product['base_rss_mb']:.0f} MiB)")
        result = {"rows": args.rows, "file_mb": round(size_mb, 1), "product_s": round(product["seconds"], 3),
                  "product_cpu_s": round(product["cpu_seconds"], 3),
                  "product_peak_rss_mb": round(product["peak_rss_mb"]),
                  "product_base_rss_mb": round(product["base_rss_mb"])}
        if not args.skip_baseline:
            baseline = run("baseline", path, folder / "baseline.npy")
            same = np.array_equal(np.load(folder / "product.npy"), np.load(folder / "baseline.npy"))
            ratio = baseline["seconds"] / product["seconds"]
            print(f"csv+split loop : {baseline['seconds']:7.2f} s (CPU {baseline['cpu_seconds']:.2f} s), "
                  f"peak RSS {baseline['peak_rss_mb']:.0f} MiB")
            print(f"speed-up       : {ratio:7.1f}x   same training images: {same}")
            result.update(baseline_s=round(baseline["seconds"], 3), baseline_cpu_s=round(baseline["cpu_seconds"], 3),
                          ratio=round(ratio, 1),
                          baseline_peak_rss_mb=round(baseline["peak_rss_mb"]), same_images=same)
        print(json.dumps(result))


if __name__ == "__main__":
    main()
