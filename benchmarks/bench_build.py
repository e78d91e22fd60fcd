"""Whole builds of the default report: cold, with the trained model cached, and warm, against their budgets.

python benchmarks/bench_build.py [--set KEY=VALUE ...] [--keep FOLDER] [--baseline DIR]

In a temporary project folder (report.yml, mkdocs.yml, notes, theme overrides and hand-written
assets copied from the repository; the cache in the project's .cache), times
`python -m generator build --quiet` three ways, each in a fresh process:

- cold: empty cache, so the data is generated and the CNN trained;
- model cached: every cache step folder deleted except `model` and `data`, so
  every prediction, explanation and figure is recomputed;
- warm: nothing changed, everything from the cache.

The peak resident memory is that of the cold build (the largest of its
processes, from getrusage(RUSAGE_CHILDREN) after it). Prints each measure against
its budget, the per-stage times of each build (from run.json), the CPU count and
load average (the machine may be shared: CPU seconds depend less on the load than
wall seconds), and one JSON line. With --baseline DIR (a folder holding another version's
`generator` package, such as an export of the main branch), the same three builds follow in
a second project with that code, and each measure is printed with the baseline's and their ratio.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# name -> (budget, unit)
BUDGETS = {"cold": (120.0, "s"), "model_cached": (45.0, "s"), "warm": (5.0, "s"), "peak_rss": (3 * 1024.0, "MiB")}
KEPT_STEPS = ("model", "data")
# What the default model must show to look like a FER2013 model (with the report.yml defaults).
ACCURACY_RANGE = (0.60, 0.88)
LEADING_CLASSES = ("Happy", "Surprise")   # among the three best recalls


def make_project(folder: Path) -> Path:
    """A report project like the repository's own; returns its report.yml."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in ("report.yml", "mkdocs.yml"):
        shutil.copy(ROOT / name, folder / name)
    shutil.copytree(ROOT / "notes", folder / "notes")
    shutil.copytree(ROOT / "templates" / "theme", folder / "templates" / "theme")
    shutil.copytree(ROOT / "docs" / "assets", folder / "docs" / "assets")
    return folder / "report.yml"


def timed_build(config: Path, overrides: list[str], code: Path | None = None) -> dict:
    """One `build` in a child process (with the `generator` package of folder `code`, default this
    repository's): wall and CPU seconds, and run.json's stages."""
    code = code or ROOT
    args = [sys.executable, "-m", "generator", "build", "--config", str(config), "--quiet"]
    for setting in overrides:
        args += ["--set", setting]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    result = subprocess.run(args, cwd=code, capture_output=True, text=True,
                            env=dict(os.environ, PYTHONPATH=str(code), TF_CPP_MIN_LOG_LEVEL="3",
                                     PYTHONDONTWRITEBYTECODE="1" if code != ROOT else ""))
    seconds = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if result.returncode != 0:
        sys.exit(f"build failed ({result.returncode}):\n{result.stderr[-3000:]}")
    stages = json.loads((config.parent / "docs" / "run.json").read_text())["stages"]
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {"seconds": round(seconds, 2), "cpu_seconds": round(cpu, 2),
            "stages": {s["name"]: {"seconds": s["seconds"], "cached": s["cached"],
                                         "model_images": s["model_images"]} for s in stages}}


def keep_only(cache: Path, steps: tuple[str, ...]) -> list[str]:
    """Delete every step folder of the cache except `steps`; return the deleted names."""
    deleted = sorted(p.name for p in cache.iterdir() if p.is_dir() and p.name not in steps)
    for name in deleted:
        shutil.rmtree(cache / name)
    return deleted


def check(condition: bool, problem: str) -> None:
    if not condition:
        sys.exit(f"bench_build: {problem}")


def difficulty(facts: dict) -> dict:
    """The default model's test accuracy, its three best classes by recall and its most frequent
    confusion, and whether they look like a FER2013 model's: accuracy in ACCURACY_RANGE, the
    LEADING_CLASSES among the best three, the top confusion one of the designed pairs."""
    evaluation = facts["evaluation"]
    recall = evaluation["per_class_accuracy"]
    best = sorted(recall, key=lambda name: -recall[name])[:3]
    top = evaluation["confused_pairs"][0] if evaluation["confused_pairs"] else None
    pair = [top["true"], top["predicted"]] if top else None
    designed = [list(p["classes"]) for p in facts["data"].get("designed_confusions") or []]
    low, high = ACCURACY_RANGE
    return {"accuracy": evaluation["accuracy"], "best_three": best, "top_confusion": pair,
            "within": bool(low <= evaluation["accuracy"] <= high and set(LEADING_CLASSES) <= set(best)
                           and pair is not None and (pair in designed or pair[::-1] in designed))}


def measure(folder: Path, overrides: list[str], code: Path | None = None) -> tuple[dict, float, list[str]]:
    """The three builds in a new project in `folder`: {name: build}, the largest peak RSS of the
    child processes so far (MiB) after the cold build, and the cache steps deleted before the
    model-cached build."""
    config = make_project(folder)
    cold = timed_build(config, overrides, code)
    cold["difficulty"] = difficulty(json.loads((folder / "docs" / "facts.json").read_text()))
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024   # KiB on Linux
    deleted = keep_only(folder / ".cache", KEPT_STEPS)
    model_cached = timed_build(config, overrides, code)
    warm = timed_build(config, overrides, code)
    check(not any(s["cached"] for s in cold["stages"].values()), "the cold build found a cache")
    # Its training-curves figure is redrawn, but no image goes through training.
    check(model_cached["stages"]["train model"]["model_images"] == 0, "the model was not taken from the cache")
    check(not model_cached["stages"]["saliency maps"]["cached"], "explanations were not recomputed")
    check(all(s["cached"] for name, s in warm["stages"].items() if name not in ("render pages", "build site")),
          "the warm build recomputed a step")
    return {"cold": cold, "model_cached": model_cached, "warm": warm}, peak_mb, deleted


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                        help="passed to every build (for example a smaller data.synthetic.per_class)")
    parser.add_argument("--keep", type=Path, help="build in this folder and keep it (default: a temporary one)")
    parser.add_argument("--baseline", type=Path,
                        help="a folder holding another version's generator package: its three builds follow")
    args = parser.parse_args()

    load_start = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="bench-build-") as temporary:
        folder = args.keep or Path(temporary)
        if folder.exists() and any(folder.iterdir()):
            sys.exit(f"{folder} is not empty: --keep needs a new or empty folder")
        builds, peak_mb, deleted = measure(folder / "project", args.overrides)
        baseline = measure(folder / "baseline", args.overrides, args.baseline.resolve()) if args.baseline else None
    load_end = os.getloadavg()

    measured = {name: build["seconds"] for name, build in builds.items()}
    measured["peak_rss"] = round(peak_mb)
    # (A baseline's peak memory is not measured: getrusage keeps the largest of all children so far.)
    before = {name: build["seconds"] for name, build in baseline[0].items()} if baseline else {}
    print(f"{os.cpu_count()} CPUs, load average {load_start[0]:.1f} at the start, {load_end[0]:.1f} at the end; "
          f"settings: {' '.join(args.overrides) or 'report.yml defaults'}")
    results = []
    for name, value in measured.items():
        budget, unit = BUDGETS[name]
        within = value <= budget
        cpu = builds[name]["cpu_seconds"] if name in builds else None
        extra = f"  ({cpu:.1f} s CPU)" if cpu is not None else ""
        if name in before:
            extra += f"  baseline {before[name]:.1f} {unit}, {before[name] / max(value, 1e-9):.2f}x"
        print(f"{name:14s} {value:8.1f} {unit:3s} budget {budget:6.0f} {unit:3s} "
              f"{value / budget:5.2f} of budget  {'ok' if within else 'OVER'}{extra}")
        results.append({"name": name, "value": value, "unit": unit, "budget": budget,
                        "ratio": round(value / budget, 3), "within": within, "cpu_seconds": cpu,
                        "baseline": before.get(name)})
    shape = builds["cold"]["difficulty"]
    low, high = ACCURACY_RANGE
    top = " -> ".join(shape["top_confusion"] or ["none"])
    print(f"default model: accuracy {shape['accuracy']:.1%} (range {low:.0%}-{high:.0%}), best three "
          f"{', '.join(shape['best_three'])}, top confusion {top}  {'ok' if shape['within'] else 'NOT LIKE FER2013'}")
    ways = [builds] + ([baseline[0]] if baseline else [])
    print("stage seconds (cold / model cached / warm" + (", then the baseline's" if baseline else "") + "):")
    for stage in dict.fromkeys(s for way in ways for b in way.values() for s in b["stages"]):
        times = "   ".join(" / ".join(f"{b['stages'].get(stage, {}).get('seconds', 0):6.1f}" for b in way.values())
                           for way in ways)
        print(f"  {stage:30s} {times}")
    print(json.dumps({"benchmark": "build", "cpus": os.cpu_count(), "python": platform.python_version(),
                      "load_average_start": [round(v, 2) for v in load_start],
                      "load_average_end": [round(v, 2) for v in load_end],
                      "overrides": args.overrides, "deleted_steps": deleted, "results": results,
                      "all_within": all(r["within"] for r in results), "difficulty": shape,
                      "stages": {name: b["stages"] for name, b in builds.items()},
                      "baseline_stages": {name: b["stages"] for name, b in baseline[0].items()} if baseline else None}))


if __name__ == "__main__":
    main()
