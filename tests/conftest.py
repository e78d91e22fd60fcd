"""Shared fixtures: one tiny report project, built once per test session.

Every test that needs a trained model shares `tiny_run` (data + model from one
small synthetic set, trained once and then loaded from the step cache).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

REPO = Path(__file__).resolve().parents[1]
SHARED_FER = REPO.parent / "shared" / "data" / "fer2013"

# Small enough to train in well under a minute on 2 cores, big enough to learn.
TINY_SETTINGS = ["data.synthetic.per_class=150", "model.epochs=12", "model.patience=3",
                 "methods.lime.num_samples=500"]


def make_project(folder: Path, cache: Path | None = None) -> Path:
    """A report project folder (mkdocs.yml, report.yml, notes, theme overrides, hand-written assets);
    returns its config."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in ("mkdocs.yml", "report.yml"):
        shutil.copy(REPO / name, folder / name)
    for name in ("notes", "templates/theme"):
        shutil.copytree(REPO / name, folder / name, dirs_exist_ok=True)
    shutil.copytree(REPO / "docs" / "assets", folder / "docs" / "assets", dirs_exist_ok=True)
    if cache is not None:
        with (folder / "report.yml").open("a") as handle:
            handle.write(f"cache: {cache}\n")
    return folder / "report.yml"


def read_facts(project: Path) -> dict:
    """A built project's docs/facts.json, checked against the committed facts contract."""
    import jsonschema

    facts = json.loads((project / "docs" / "facts.json").read_text(encoding="utf-8"))
    errors = sorted(jsonschema.Draft202012Validator(facts_schema()).iter_errors(facts), key=lambda e: list(e.path))
    assert not errors, [f"{'.'.join(map(str, e.path))}: {e.message[:200]}" for e in errors[:5]]
    return facts


def facts_schema() -> dict:
    return json.loads((REPO / "generator" / "facts.schema.json").read_text(encoding="utf-8"))


def run_cli(*args: str, cwd: Path = REPO) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "generator", *args], cwd=cwd, capture_output=True,
                          text=True, env=dict(os.environ, PYTHONPATH=str(REPO)))


@pytest.fixture(scope="session")
def shared_cache(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("cache")


# Lines TensorFlow, absl and oneDNN print while loading, and tf.function's retracing warning.
LIBRARY_NOISE = ("absl", "oneDNN", "port.cc", "cpu_feature_guard", "I0000", "W0000", "tensorflow", "retracing")


def library_lines(stderr: str) -> list[str]:
    """The lines of `stderr` that came from TensorFlow's libraries rather than from the report."""
    return [line for line in stderr.splitlines() if any(word in line for word in LIBRARY_NOISE)]


def build_tiny(folder: Path, cache: Path, *extra: str) -> Path:
    """Build a tiny report with the command line (`build`); return the project folder.

    Every such build also checks that nothing from TensorFlow's libraries reached stderr.
    """
    config = make_project(folder, cache)
    args = ["build", "--config", str(config), "--quiet"]
    for setting in (*TINY_SETTINGS, *extra):
        args += ["--set", setting]
    result = run_cli(*args)
    assert result.returncode == 0, result.stderr
    assert library_lines(result.stderr) == [], result.stderr
    return config.parent


@pytest.fixture(scope="session")
def tiny_project(tmp_path_factory, shared_cache) -> Path:
    """The tiny report of the synthetic default."""
    return build_tiny(tmp_path_factory.mktemp("tiny"), shared_cache)


@pytest.fixture(scope="session")
def shortcut_project(tmp_path_factory, shared_cache) -> Path:
    """The same tiny report with a spurious cue planted for Happy."""
    return build_tiny(tmp_path_factory.mktemp("shortcut"), shared_cache, "data.synthetic.shortcut=Happy")


@dataclass(frozen=True)
class TinyRun:
    config: object      # generator.config.Config
    paths: object       # generator.context.Paths
    results: object     # generator.results.Results, through the model


@pytest.fixture(scope="session")
def tiny_run(tiny_project) -> TinyRun:
    """The tiny report's config, paths, data and model, loaded in-process from the step cache."""
    from generator.config import load_config
    from generator.context import Paths
    from generator.pipeline import compute_results, open_run
    from generator.progress import Progress

    config, paths = load_config(tiny_project / "report.yml", TINY_SETTINGS), Paths(tiny_project)
    try:
        with open_run(config, paths, Progress(quiet=True)) as run:
            return TinyRun(config, paths, compute_results(run, through="model"))
    finally:
        disable_op_determinism()


def disable_op_determinism() -> None:
    """A run enables TF op determinism process-wide; later tests in this process expect the default."""
    try:
        from tensorflow.python.framework.config import disable_op_determinism as disable
    except ImportError:
        return
    disable()
