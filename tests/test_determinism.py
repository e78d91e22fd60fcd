"""Determinism: two cold runs (separate empty caches, same config and seed) give the same report."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO, make_project

pytestmark = pytest.mark.slow

SETTINGS = ["data.synthetic.per_class=30", "model.epochs=2", "methods.lime.num_samples=100",
            "methods.filters.steps=10", "methods.saliency.smooth_samples=4", "methods.cams.class_mean_images=5"]


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory) -> tuple[Path, Path]:
    """The docs/ folders of two cold `generate` runs, started side by side."""
    folder = tmp_path_factory.mktemp("determinism")
    configs = [make_project(folder / name, folder / f"{name}-cache") for name in ("a", "b")]
    args = [arg for setting in SETTINGS for arg in ("--set", setting)]
    runs = [subprocess.Popen([sys.executable, "-m", "generator", "generate", "--config", str(config), "--quiet",
                              *args], cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                             env=dict(os.environ, PYTHONPATH=str(REPO)))
            for config in configs]
    for run in runs:
        _, stderr = run.communicate(timeout=600)
        assert run.returncode == 0, stderr
    docs = tuple(config.parent / "docs" for config in configs)
    for one in docs:   # both were cold: every stage computed
        stages = json.loads((one / "run.json").read_text())["stages"]
        assert not any(stage["cache_hits"] for stage in stages), stages
    return docs


def _differences(first: dict, second: dict, prefix: str = "") -> list[str]:
    """Dotted keys whose values differ (down to the first differing leaf of each branch)."""
    if isinstance(first, dict) and isinstance(second, dict):
        keys = sorted(set(first) | set(second), key=str)
        return [d for k in keys for d in _differences(first.get(k), second.get(k), f"{prefix}{k}.")]
    return [] if first == second else [prefix.rstrip(".")]


def test_the_model_and_data_are_the_same(two_runs):
    a, b = (json.loads((docs / "run.json").read_text())["digests"] for docs in two_runs)
    assert a["data"] == b["data"]
    assert a["model"] == b["model"], "training is not deterministic"


def test_facts_are_identical(two_runs):
    a, b = (json.loads((docs / "facts.json").read_text()) for docs in two_runs)
    assert _differences(a, b) == []
    assert (two_runs[0] / "facts.json").read_bytes() == (two_runs[1] / "facts.json").read_bytes()


def test_pages_are_identical_except_reproducibility(two_runs):
    a, b = ({p.name: p.read_text() for p in docs.glob("*.md")} for docs in two_runs)
    assert sorted(a) == sorted(b) and len(a) >= 14
    differing = [name for name in sorted(a) if a[name] != b[name]]
    assert [name for name in differing if not name.startswith("reproducibility.")] == []


def test_figures_are_byte_identical(two_runs):
    a, b = ({p.name: p.read_bytes() for p in (docs / "figures").glob("*.png")} for docs in two_runs)
    assert sorted(a) == sorted(b) and len(a) >= 10
    assert [name for name in sorted(a) if a[name] != b[name]] == []
