"""Staged output: unchanged files untouched, stale generated files removed, hand-written files kept."""

import os

import pytest

from generator.errors import UserError
from generator.output import Staging, build_site, publish_docs
from tests.conftest import make_project


def stage(tmp_path, files: dict) -> Staging:
    staging = Staging(tmp_path / "work")
    for name, text in files.items():
        staging.write(name, text)
    return staging


def test_publish_writes_changed_files_only_and_removes_stale_ones(tmp_path):
    docs = tmp_path / "docs"
    (docs / "assets").mkdir(parents=True)
    (docs / "assets" / "mine.css").write_text("hand-written")
    publish_docs(stage(tmp_path, {"a.md": "one", "b.md": "two", "figures/f.png": "x"}), docs)
    os.utime(docs / "a.md", (1, 1))
    counts = publish_docs(stage(tmp_path, {"a.md": "one", "b.md": "changed"}), docs)
    assert counts == {"written": 1, "unchanged": 1, "removed": 1}
    assert (docs / "a.md").stat().st_mtime == 1          # left alone: mkdocs serve won't reload it
    assert (docs / "b.md").read_text() == "changed"
    assert not (docs / "figures" / "f.png").exists()
    assert (docs / "assets" / "mine.css").read_text() == "hand-written"


def test_a_failed_site_build_leaves_the_previous_site_intact(tmp_path):
    root = make_project(tmp_path / "project").parent
    (root / "site").mkdir()
    (root / "site" / "index.html").write_text("previous site")
    pages = {f"{p}.{lang}.md": f"# {p}\n" for p in ("index", "saliency", "filters", "lime", "gradcam",
                                                     "trust", "data", "reproducibility")
             for lang in ("en", "zh-TW")}
    pages["index.en.md"] = "# broken\n\n[missing](nowhere.md)\n"   # --strict turns this into a failure
    with pytest.raises(UserError, match="mkdocs build --strict failed"):
        build_site(stage(tmp_path, pages), root / "docs", root / "mkdocs.yml", root / "site")
    assert (root / "site" / "index.html").read_text() == "previous site"
    assert sorted(p.name for p in root.iterdir() if p.name.startswith(".site")) == []
