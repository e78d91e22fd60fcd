"""Staged output: unchanged files untouched, stale generated files removed, hand-written files kept."""

import os

import pytest

from generator.errors import UserError
from generator.output import Staging, build_site, publish_docs
from generator.pages import PAGES, page_filename
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


def placeholder_pages() -> dict[str, str]:
    return {page_filename(page, lang): f"# {page}\n" for page in PAGES for lang in ("en", "zh-TW")}


def test_the_site_is_built_for_the_address_in_site_url(tmp_path, monkeypatch):
    root = make_project(tmp_path / "project").parent
    monkeypatch.setenv("SITE_URL", "https://owner.github.io/cnn-report")   # as actions/configure-pages gives it
    build_site(stage(tmp_path, placeholder_pages()), root / "docs", root / "mkdocs.yml", root / "site")
    sitemap = (root / "site" / "sitemap.xml").read_text()
    assert "<loc>https://owner.github.io/cnn-report/zh-TW/data/</loc>" in sitemap
    assert '<link rel="canonical" href="https://owner.github.io/cnn-report/data/">' in \
        (root / "site" / "data" / "index.html").read_text()
    assert sorted(p.name for p in root.iterdir()) == ["docs", "mkdocs.yml", "notes", "report.yml", "site",
                                                      "templates"]   # the build's own config is gone


def test_a_failed_site_build_leaves_the_previous_site_intact(tmp_path):
    root = make_project(tmp_path / "project").parent
    (root / "site").mkdir()
    (root / "site" / "index.html").write_text("previous site")
    pages = placeholder_pages()
    pages["index.en.md"] = "# broken\n\n[missing](nowhere.md)\n"   # --strict turns this into a failure
    with pytest.raises(UserError, match="mkdocs build --strict failed"):
        build_site(stage(tmp_path, pages), root / "docs", root / "mkdocs.yml", root / "site")
    assert (root / "site" / "index.html").read_text() == "previous site"
    assert sorted(p.name for p in root.iterdir() if p.name.startswith(".site")) == []


def test_the_site_is_rebuilt_when_its_inputs_change_and_only_then(tmp_path, monkeypatch):
    root = make_project(tmp_path / "project").parent
    docs, config, site, record = root / "docs", root / "mkdocs.yml", root / "site", tmp_path / "cache" / "site.json"
    pages = placeholder_pages()

    def build(changes: dict | None = None) -> bool:
        return build_site(stage(tmp_path, {**pages, **(changes or {})}), docs, config, site, record)

    assert build() and record.is_file()
    assert not build()                                   # nothing changed: mkdocs does not run
    assert build({"data.en.md": "# data\n\nA changed page.\n"})
    assert "A changed page." in (site / "data" / "index.html").read_text()
    pages["data.en.md"] = "# data\n\nA changed page.\n"
    assert not build()
    (docs / "assets" / "extra.css").write_text("body { color: black; }\n")   # a hand-written file
    assert build() and not build()
    (root / "templates" / "theme" / "main.html").write_text(
        (root / "templates" / "theme" / "main.html").read_text() + "\n")   # the theme override
    assert build() and not build()
    monkeypatch.setenv("SITE_URL", "https://example.org/report/")          # a variable mkdocs.yml reads
    assert build() and not build()
    (site / "index.html").write_text("edited by hand")                     # the site itself
    assert build() and (site / "index.html").read_text() != "edited by hand"
    assert not build()
