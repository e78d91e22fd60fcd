"""Interrupted runs: a build killed while computing, rendering or building the site leaves docs/ and site/ intact.

A tiny project is built once; then builds that would change its files (another
seed, another LIME setting) are killed with SIGKILL (the generator and its
mkdocs child) at several stages, and a last build must succeed. The two narrow
windows at the end of a run, the swap of site/ and the file-by-file sync into
docs/, are hit exactly by a process that kills itself at a chosen call.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from tests.conftest import REPO, make_project, run_cli

SETTINGS = ["data.synthetic.per_class=30", "model.epochs=2", "methods.lime.num_samples=100",
            "methods.filters.steps=10", "methods.saliency.smooth_samples=4", "methods.cams.class_mean_images=5"]
CHANGED = ["methods.lime.num_samples=60"]   # changes facts.json and the LIME pages and figure, cheap to compute
STAGE_LINE = re.compile(r"^\[\d+/\d+\] (.+) \.\.\.$")
# What a killed site build may leave beside site/ (the next build removes it): the new site half
# written, the previous one mid-swap, the build's own mkdocs.yml.
LEFTOVER = re.compile(r"^(\.site-(new|old)-\d+|\.mkdocs-build-\d+\.yml)$")


def _args(config: Path, extra: list[str]) -> list[str]:
    return ["build", "--config", str(config), *[a for s in (*SETTINGS, *extra) for a in ("--set", s)]]


def _files(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> dict:
    """A project after one successful build, with its docs/, site/ and folder listing."""
    folder = tmp_path_factory.mktemp("interrupts")
    config = make_project(folder / "project", folder / "cache")
    result = run_cli(*_args(config, []), "--quiet")
    assert result.returncode == 0, result.stderr
    root = config.parent
    return {"config": config, "root": root, "cache": folder / "cache", "docs": _files(root / "docs"),
            "site": _files(root / "site"), "listing": set(os.listdir(root))}


def kill_during(config: Path, extra: list[str], stage: str, delay: float = 0.0,
                inside_mkdocs: bool = False) -> list[str]:
    """Start a build, SIGKILL its process group once it starts `stage`; return the stages it began."""
    process = subprocess.Popen([sys.executable, "-m", "generator", *_args(config, extra)], cwd=REPO,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                               start_new_session=True, env=dict(os.environ, PYTHONPATH=str(REPO)))
    watchdog = threading.Timer(300, lambda: os.killpg(process.pid, signal.SIGKILL))
    watchdog.start()
    began, killed = [], False
    try:
        for line in process.stderr:
            match = STAGE_LINE.match(line.strip())
            if not match:
                continue
            began.append(match.group(1))
            if match.group(1).startswith(stage):
                if inside_mkdocs:   # mkdocs is writing the new site beside site/
                    _wait_for(lambda: any((config.parent / f".site-new-{process.pid}").rglob("*.html")))
                time.sleep(delay)
                os.killpg(process.pid, signal.SIGKILL)
                killed = True
                break
        process.stderr.read()
        process.wait()
    finally:
        watchdog.cancel()
    assert killed and process.returncode == -signal.SIGKILL, (process.returncode, began)
    return began


def _wait_for(condition, timeout: float = 120.0) -> None:
    end = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < end, "timed out"
        time.sleep(0.02)


def assert_untouched(built: dict) -> None:
    root = built["root"]
    assert _files(root / "docs") == built["docs"]
    assert _files(root / "site") == built["site"]
    extra = set(os.listdir(root)) - built["listing"]
    assert all(LEFTOVER.match(name) for name in extra), extra


@pytest.mark.slow
@pytest.mark.parametrize("stage, extra, delay, inside_mkdocs", [
    ("train model", ["seed=1"], 1.0, False),      # training a new model
    ("Grad-CAM", CHANGED, 0.0, False),           # after LIME recomputed
    ("render pages", CHANGED, 0.0, False),
    ("build site", CHANGED, 0.0, True),           # mkdocs half way through writing the new site
], ids=["training", "explaining", "rendering", "site-build"])
def test_a_killed_build_leaves_docs_and_site_as_they_were(built, stage, extra, delay, inside_mkdocs):
    began = kill_during(built["config"], extra, stage, delay, inside_mkdocs)
    assert began[-1].startswith(stage) and began[0] == "load data"
    assert_untouched(built)


def _leftover_candidates(built: dict) -> set[Path]:
    """Everything beside site/ and in the cache's staging folder."""
    return {*built["root"].iterdir(), *(built["cache"] / "staging").iterdir()}


@pytest.fixture(scope="module")
def rebuilt(built) -> dict:
    """The changed build run to the end, after one more killed inside mkdocs; what that kill left behind."""
    before = _leftover_candidates(built)
    kill_during(built["config"], CHANGED, "build site", inside_mkdocs=True)
    assert_untouched(built)
    left = sorted(_leftover_candidates(built) - before)
    result = run_cli(*_args(built["config"], CHANGED), "--quiet")
    return {"result": result, "left": left}


@pytest.mark.slow
def test_a_build_after_the_kills_succeeds_and_publishes_the_change(built, rebuilt):
    assert rebuilt["result"].returncode == 0, rebuilt["result"].stderr
    root = built["root"]
    facts = json.loads((root / "docs" / "facts.json").read_text())
    assert facts["lime"]["settings"]["num_samples"] == 60
    docs, site = _files(root / "docs"), _files(root / "site")
    assert docs["facts.json"] != built["docs"]["facts.json"]
    assert docs["figures/lime.png"] != built["docs"]["figures/lime.png"]
    assert site["figures/lime.png"] == docs["figures/lime.png"]
    assert set(docs) == set(built["docs"])
    assert docs["figures/saliency.png"] == built["docs"]["figures/saliency.png"]


@pytest.mark.slow
def test_a_build_after_a_kill_removes_what_the_killed_run_left(built, rebuilt):
    assert rebuilt["result"].returncode == 0, rebuilt["result"].stderr
    left = rebuilt["left"]
    assert any(p.parent == built["root"] and p.name.startswith(".site-new-") for p in left), left
    assert any(p.parent == built["root"] and p.name.startswith(".mkdocs-build-") for p in left), left
    assert any(p.parent.name == "staging" and p.name.startswith(".stage-") for p in left), left
    assert [p for p in left if p.exists()] == []


# The narrow windows, hit exactly: a process runs the output step and SIGKILLs itself at a chosen call.

def _run_killed(script: str, *args: str, must_die: bool = True) -> None:
    """Run `script` in a fresh process where die_on_call(module, name, n) SIGKILLs it at the n-th call."""
    prelude = textwrap.dedent("""
        import os, signal, sys
        def die_on_call(module, name, at):
            original, calls = getattr(module, name), [0]
            def wrapper(*a, **k):
                calls[0] += 1
                if calls[0] == at:
                    os.kill(os.getpid(), signal.SIGKILL)
                return original(*a, **k)
            setattr(module, name, wrapper)
        """)
    result = subprocess.run([sys.executable, "-c", prelude + textwrap.dedent(script), *args], cwd=REPO,
                            capture_output=True, text=True, env=dict(os.environ, PYTHONPATH=str(REPO)))
    assert result.returncode == -signal.SIGKILL or (not must_die and result.returncode == 0), result.stderr


def _tree(folder: Path, files: dict[str, str]) -> None:
    for relative, text in files.items():
        (folder / relative).parent.mkdir(parents=True, exist_ok=True)
        (folder / relative).write_text(text)


def test_a_kill_during_the_site_swap_leaves_a_whole_site(tmp_path):
    old, new = {"index.html": "old", "a/page.html": "old a"}, {"index.html": "new", "b/page.html": "new b"}
    site, fresh = tmp_path / "site", tmp_path / ".site-new-1"
    _tree(site, old)
    _tree(fresh, new)
    _run_killed("""
        import generator.output as output
        from pathlib import Path
        die_on_call(output.os, "replace", 2)   # after site/ was renamed away, before the new one is in
        output._swap_folder(Path(sys.argv[1]), Path(sys.argv[2]))
        """, str(fresh), str(site), must_die=False)   # a swap in one step needs no second rename
    assert {k: v.decode() for k, v in _files(site).items()} in (old, new)


def test_a_kill_while_publishing_leaves_whole_files_and_the_next_run_repairs_docs(tmp_path):
    """publish_docs replaces docs/ files one by one (so `mkdocs serve` reloads only what changed): a kill
    half way may leave new pages beside old ones, but never a half-written file; the next run publishes all."""
    from generator.output import MANIFEST, Staging, publish_docs

    old = {"index.en.md": "old index", "lime.en.md": "old lime", "figures/lime.png": "old png", "gone.md": "x"}
    new = {"index.en.md": "new index", "lime.en.md": "new lime", "figures/lime.png": "new png"}
    docs = tmp_path / "docs"
    _tree(docs, {"assets/extra.css": "hand-written"})
    staging = Staging(tmp_path / "staging")
    for relative, text in old.items():
        staging.write(relative, text)
    publish_docs(staging, docs)
    _tree(tmp_path / "new", new)
    _run_killed("""
        import generator.output as output
        from pathlib import Path
        staging = output.Staging(Path(sys.argv[1]) / "staging")
        for path in (Path(sys.argv[1]) / "new").rglob("*"):
            if path.is_file():
                staging.write(path.relative_to(Path(sys.argv[1]) / "new").as_posix(), path.read_bytes())
        die_on_call(output.os, "replace", 2)   # one file replaced, the next written to its temporary file
        output.publish_docs(staging, Path(sys.argv[1]) / "docs")
        """, str(tmp_path))
    after = {k: v.decode() for k, v in _files(docs).items() if not Path(k).name.startswith(".tmp-")}
    assert after["assets/extra.css"] == "hand-written"
    assert after["figures/lime.png"] == "new png" and after["index.en.md"] == "old index"
    for relative in old:
        assert after[relative] in (old[relative], new.get(relative)), relative

    staging = Staging(tmp_path / "staging")   # the next run
    for relative, text in new.items():
        staging.write(relative, text)
    publish_docs(staging, docs)
    after = {k: v.decode() for k, v in _files(docs).items() if not Path(k).name.startswith(".tmp-")}
    assert after.pop(MANIFEST) and after == {**new, "assets/extra.css": "hand-written"}
