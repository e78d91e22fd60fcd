"""Shared fixtures: one tiny report project, built once per test session.

Every test that needs a trained model shares `tiny_run` (data + model from one
small synthetic set, trained once and then loaded from the step cache).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

REPO = Path(__file__).resolve().parents[1]
SHARED_FER = REPO.parent / "shared" / "data" / "fer2013"

# Small enough to train in well under a minute on 2 cores, big enough to learn.
TINY_SETTINGS = ["data.synthetic.per_class=150", "model.epochs=12", "model.patience=3",
                 "methods.lime.num_samples=500"]


def make_project(folder: Path, cache: Path | None = None) -> Path:
    """A report project folder (mkdocs.yml, report.yml, notes, hand-written assets); returns its config."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in ("mkdocs.yml", "report.yml"):
        shutil.copy(REPO / name, folder / name)
    shutil.copytree(REPO / "notes", folder / "notes", dirs_exist_ok=True)
    shutil.copytree(REPO / "docs" / "assets", folder / "docs" / "assets", dirs_exist_ok=True)
    if cache is not None:
        with (folder / "report.yml").open("a") as handle:
            handle.write(f"cache: {cache}\n")
    return folder / "report.yml"


def run_cli(*args: str, cwd: Path = REPO) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "generator", *args], cwd=cwd, capture_output=True,
                          text=True, env=dict(os.environ, PYTHONPATH=str(REPO)))


@pytest.fixture(scope="session")
def shared_cache(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("cache")


def build_tiny(folder: Path, cache: Path, *extra: str) -> Path:
    """Build a tiny report with the command line (`build`); return the project folder."""
    config = make_project(folder, cache)
    args = ["build", "--config", str(config), "--quiet"]
    for setting in (*TINY_SETTINGS, *extra):
        args += ["--set", setting]
    result = run_cli(*args)
    assert result.returncode == 0, result.stderr
    return config.parent


@pytest.fixture(scope="session")
def tiny_project(tmp_path_factory, shared_cache) -> Path:
    """The tiny report of the synthetic default."""
    return build_tiny(tmp_path_factory.mktemp("tiny"), shared_cache)


@pytest.fixture(scope="session")
def shortcut_project(tmp_path_factory, shared_cache) -> Path:
    """The same tiny report with a spurious cue planted for Happy."""
    return build_tiny(tmp_path_factory.mktemp("shortcut"), shared_cache, "data.synthetic.shortcut=Happy")


@pytest.fixture(scope="session")
def tiny_run(tiny_project, shared_cache):
    """The tiny report's data and model, loaded in-process from the step cache."""
    from generator.config import load_config
    from generator.context import Paths, Run
    from generator.output import Staging
    from generator.cache import StepCache
    from generator.progress import Progress
    from generator.sections.dataset import run_dataset
    from generator.sections.model import run_model

    config = load_config(tiny_project / "report.yml", TINY_SETTINGS)
    cache = StepCache(shared_cache)
    run = Run(config, Paths(tiny_project), cache, Progress(quiet=True), Staging(cache.root / "staging"))
    run_dataset(run)
    run_model(run)
    run.staging.discard()
    return run
