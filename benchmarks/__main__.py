"""Run every benchmarks/bench_*.py, summarise each result against its comparison, save benchmarks/results.json.

python -m benchmarks [--quick] [--only NAME ...] [--timeout SECONDS]

Each script runs in its own process with its default arguments (--quick: small
ones, for a check that the benchmarks still work, not for numbers) and prints a
JSON object as its last JSON line. The summary gives, per measure, the result, what
it is compared with, and the ratio: for a comparison with another way of doing the
same work, how many times faster the product is (> 1: faster); for a budget, the
share of the budget used (<= 1: within).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RESULTS = HERE / "results.json"

QUICK_ARGS = {
    "csv": ["--rows", "3000"],
    "filters": ["--steps", "20", "--per-filter", "4", "--epochs", "1"],
    "lime": ["--samples", "300", "--epochs", "2"],
    "trust": ["--epochs", "1", "--eval-per-class", "2", "--steps", "10"],
    "scorecam": ["--images", "20", "--epochs", "1"],
    "gradient_cams": ["--images", "20", "--epochs", "1"],
    "folding": ["--images", "500"],
    "saliency": ["--images", "7", "--samples", "5", "--epochs", "1"],
    "build": ["--set", "data.synthetic.per_class=30", "--set", "model.epochs=2",
              "--set", "methods.lime.num_samples=100", "--set", "methods.filters.steps=10"],
    "real_models": ["--models", "mini_xception", "--train-rows", "300", "--set", "methods.lime.num_samples=100",
                    "--set", "methods.filters.steps=10", "--set", "methods.cams.class_mean_images=5"],
}


@dataclass(frozen=True)
class Row:
    benchmark: str
    measure: str
    result: str
    compared_with: str = ""
    ratio: float | None = None
    kind: str = ""            # "faster" (comparison / result) or "budget" (result / budget)

    @property
    def verdict(self) -> str:
        if self.ratio is None:
            return ""
        if self.kind == "budget":
            return f"{self.ratio:.2f} of budget" + ("" if self.ratio <= 1 else "  OVER")
        return f"{self.ratio:.1f}x faster" if self.ratio >= 1 else f"{1 / self.ratio:.1f}x SLOWER"


def discover() -> dict[str, Path]:
    return {path.stem.removeprefix("bench_"): path for path in sorted(HERE.glob("bench_*.py"))}


def run_benchmark(name: str, path: Path, args: list[str], timeout: float) -> dict:
    """Run one script, echoing its output; return its record (arguments, time, exit status, JSON result)."""
    print(f"== {name}: {' '.join([path.name, *args])}", flush=True)
    start = time.perf_counter()
    process = subprocess.Popen([sys.executable, str(path), *args], cwd=ROOT, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True,
                               env=dict(os.environ, PYTHONPATH=str(ROOT), TF_CPP_MIN_LOG_LEVEL="3",
                                        TQDM_DISABLE="1"))
    lines = []
    try:
        stderr = _echo(process, lines, timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        return {"args": args, "seconds": round(time.perf_counter() - start, 1), "returncode": None,
                "result": None, "error": f"timed out after {timeout:.0f} s"}
    record = {"args": args, "seconds": round(time.perf_counter() - start, 1), "returncode": process.returncode,
              "result": last_json_object(lines)}
    if process.returncode != 0:
        record["error"] = (stderr.strip().splitlines() or ["no output"])[-1]
        print(stderr[-2000:], file=sys.stderr)
    elif record["result"] is None:
        record["error"] = "printed no JSON line"
    return record


def _echo(process: subprocess.Popen, lines: list[str], timeout: float) -> str:
    """Echo stdout (JSON lines left out) as it comes; return stderr."""
    import threading

    errors: list[str] = []
    reader = threading.Thread(target=lambda: errors.append(process.stderr.read()), daemon=True)
    reader.start()
    deadline = time.monotonic() + timeout
    timer = threading.Timer(timeout, process.kill)
    timer.start()
    try:
        for line in process.stdout:
            lines.append(line)
            if not line.lstrip().startswith("{"):
                print(f"   {line}", end="", flush=True)
        process.wait()
    finally:
        timer.cancel()
    reader.join()
    if time.monotonic() > deadline:
        raise subprocess.TimeoutExpired(process.args, timeout)
    return "".join(errors)


def last_json_object(lines: list[str]) -> dict | None:
    for line in reversed(lines):
        text = line.strip()
        if text.startswith("{"):
            try:
                value = json.loads(text)
            except ValueError:
                continue
            if isinstance(value, dict):
                return value
    return None


def summarise(name: str, result: dict) -> list[Row]:
    """The rows of one benchmark's result: known shapes first, then a generic reading."""
    rows = SUMMARIES.get(name, _generic)(name, result)
    return rows or _generic(name, result)


def _csv(name: str, r: dict) -> list[Row]:
    rows = [Row(name, f"product loader, {r['rows']} rows",
                f"{r['product_s']:.2f} s, peak {r['product_peak_rss_mb']} MiB")]
    if "baseline_s" in r:
        rows[0] = Row(name, rows[0].measure, rows[0].result, f"csv + str.split loop {r['baseline_s']:.2f} s",
                      r["baseline_s"] / r["product_s"], "faster")
    return rows


def _filters(name: str, r: dict) -> list[Row]:
    ways = {w["name"]: w for w in r["results"]}
    product = ways.pop("product_batched_compiled")
    measure = f"{r['filters']} filters x {r['steps']} steps"
    return [Row(name, measure, f"{product['seconds']:.2f} s ({product['cpu_seconds']:.1f} s CPU)",
                f"{way} {w['seconds']:.2f} s", w["ratio"], "faster") for way, w in ways.items()]


def _lime(name: str, r: dict) -> list[Row]:
    return [Row(name, f"{r['images']} images x {r['samples']} samples", f"{r['product_s']:.2f} s",
                f"lime defaults {r['lime_defaults_s']:.2f} s", r["ratio"], "faster")]


def _trust(name: str, r: dict) -> list[Row]:
    rows = [Row(name, f"section 5, {r['evaluation_images']} faces", f"{r['total_s']:.2f} s "
                f"({r['total_cpu_s']:.1f} s CPU)", f"budget {r['budget_s']:.0f} s", r["total_s"] / r["budget_s"],
                "budget")]
    if "naive_s" in r:
        rows.append(Row(name, "deletion/insertion", f"{r['batched_s']:.2f} s",
                        f"model.predict per image {r['naive_s']:.2f} s", r["ratio"], "faster"))
    return rows


def _scorecam(name: str, r: dict) -> list[Row]:
    return [Row(name, f"{r['images']} images x {r['channels']} channels",
                f"{r['product_s']:.2f} s (maps within {r['max_relative_difference']:.0e})",
                f"tf-keras-vis Scorecam {r['tf_keras_vis_s']:.2f} s", r["ratio"], "faster")]


def _gradient_cams(name: str, r: dict) -> list[Row]:
    return [Row(name, f"{r['images']} images, Grad-CAM, Grad-CAM++ and Layer-CAM",
                f"{r['product_s']:.2f} s (maps within {r['max_relative_difference']:.0e})",
                f"tf-keras-vis, a pass each {r['tf_keras_vis_s']:.2f} s", r["ratio"], "faster")]


def _folding(name: str, r: dict) -> list[Row]:
    return [Row(name, f"{item['model']} forward, {r['images']} images",
                f"{item['folded_s']:.2f} s (probabilities within {item['max_probability_difference']:.0e})",
                f"unfolded {item['model_s']:.2f} s", item["ratio"], "faster") for item in r["results"]]


def _saliency(name: str, r: dict) -> list[Row]:
    return [Row(name, f"{item['images']} images, saliency + SmoothGrad ({r['samples']} copies)",
                f"{item['product_s']:.2f} s (maps within {item['max_relative_difference']:.0e})",
                f"tf-keras-vis Saliency {item['tf_keras_vis_s']:.2f} s", item["ratio"], "faster")
            for item in r["results"]]


def _build(name: str, r: dict) -> list[Row]:
    return [Row(name, item["name"], f"{item['value']:.1f} {item['unit']}",
                f"budget {item['budget']:.0f} {item['unit']}", item["ratio"], "budget") for item in r["results"]]


def _generic(name: str, r: dict) -> list[Row]:
    seconds = {k: v for k, v in r.items() if k.endswith("_s") and isinstance(v, (int, float))}
    result = ", ".join(f"{k} {v:.2f}" for k, v in seconds.items()) or json.dumps(r)[:60]
    ratio = r.get("ratio") if isinstance(r.get("ratio"), (int, float)) else None
    return [Row(name, "result", result, "", ratio, "faster" if ratio is not None else "")]


SUMMARIES = {"csv": _csv, "filters": _filters, "lime": _lime, "trust": _trust, "scorecam": _scorecam,
             "gradient_cams": _gradient_cams, "folding": _folding, "saliency": _saliency, "build": _build,
             "real_models": _build}


def print_table(rows: list[Row]) -> None:
    header = ("benchmark", "measure", "result", "compared with", "ratio")
    table = [header] + [(r.benchmark, r.measure, r.result, r.compared_with, r.verdict) for r in rows]
    widths = [max(len(line[i]) for line in table) for i in range(len(header))]
    for i, line in enumerate(table):
        print("  ".join(cell.ljust(width) for cell, width in zip(line, widths)).rstrip())
        if i == 0:
            print("  ".join("-" * width for width in widths))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small arguments: checks the scripts, not the numbers")
    parser.add_argument("--only", nargs="+", metavar="NAME", help="run only these (csv, filters, lime, ...)")
    parser.add_argument("--timeout", type=float, default=1800, help="seconds per benchmark (default 1800)")
    args = parser.parse_args(argv)

    scripts = discover()
    unknown = sorted(set(args.only or ()) - set(scripts))
    if unknown:
        parser.error(f"unknown benchmark {', '.join(unknown)}; choose from {', '.join(scripts)}")
    chosen = {name: path for name, path in scripts.items() if not args.only or name in args.only}
    load_start = os.getloadavg()
    records = {name: run_benchmark(name, path, QUICK_ARGS.get(name, []) if args.quick else [], args.timeout)
               for name, path in chosen.items()}
    load_end = os.getloadavg()

    rows = []
    for name, record in records.items():
        if record["result"] is None:
            rows.append(Row(name, "failed", record.get("error", "")))
            continue
        try:
            rows += summarise(name, record["result"])
        except (KeyError, TypeError, ZeroDivisionError) as error:   # a script changed its JSON shape
            rows += _generic(name, record["result"])
            record["summary_error"] = f"{type(error).__name__}: {error}"
    print(f"\n{os.cpu_count()} CPUs, load average {load_start[0]:.1f} at the start, {load_end[0]:.1f} at the end"
          f"{' (quick arguments: not for comparison)' if args.quick else ''}")
    print_table(rows)
    RESULTS.write_text(json.dumps({
        "when": datetime.now(timezone.utc).isoformat(timespec="seconds"), "quick": args.quick,
        "host": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform(),
                 "load_average_start": [round(v, 2) for v in load_start],
                 "load_average_end": [round(v, 2) for v in load_end]},
        "benchmarks": records, "summary": [asdict(r) | {"verdict": r.verdict} for r in rows]}, indent=2) + "\n")
    print(f"results: {RESULTS.relative_to(ROOT)}")
    return 0 if all(record["result"] is not None for record in records.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
