"""The tiny report, built with the command line: pages, figures, facts and site agree."""

import json
import re
import xml.etree.ElementTree as ElementTree

import numpy as np

from generator.pages import PAGES
from tests.conftest import TINY_SETTINGS, run_cli

LANGS = ("en", "zh-TW")


def test_both_languages_have_every_page(tiny_project):
    docs = tiny_project / "docs"
    for page in PAGES:
        for lang in LANGS:
            assert (docs / f"{page}.{lang}.md").stat().st_size > 0, (page, lang)
    site = tiny_project / "site"
    assert (site / "index.html").exists() and (site / "zh-TW" / "index.html").exists()
    assert (site / "zh-TW" / "data" / "index.html").exists()


def test_every_image_a_page_references_exists(tiny_project):
    docs = tiny_project / "docs"
    referenced = set()
    for page in docs.glob("*.md"):
        referenced |= set(re.findall(r"!\[[^\]]*\]\(([^)]+)\)", page.read_text()))
    assert {"figures/saliency.png", "figures/sample_grid.png", "figures/training_curves.png"} <= referenced
    for path in referenced:
        assert (docs / path).stat().st_size > 1000, path


def test_facts_agree_with_the_model_and_the_confusion_table(tiny_project, tiny_run):
    facts = json.loads((tiny_project / "docs" / "facts.json").read_text())
    data, model = tiny_run.results.data.dataset, tiny_run.results.model.model
    predictions = model.keras.predict(model.to_input(data.test.images), verbose=0).argmax(axis=1)
    k = len(facts["class_names"])
    matrix = np.zeros((k, k), int)
    np.add.at(matrix, (data.test.labels, predictions), 1)
    assert facts["confusion_matrix"] == matrix.tolist()
    assert facts["accuracy"] == round(np.trace(matrix) / matrix.sum(), 4)
    assert facts["data"]["evaluated_split"] == "test"
    assert facts["data"]["evaluated_size"] == len(data.test) == matrix.sum()
    assert facts["model"]["parameters"] == model.keras.count_params()
    page = (tiny_project / "docs" / "lime.en.md").read_text()
    for i, name in enumerate(facts["class_names"]):
        row = re.search(rf"^\| {name} \| (\d+) \| ([\d.]+)% \| [\d.]+% \|$", page, re.M)
        assert int(row.group(1)) == matrix[i].sum()
        assert float(row.group(2)) == round(100 * matrix[i, i] / matrix[i].sum(), 1)


def test_the_tiny_model_learns_the_synthetic_faces(tiny_project):
    facts = json.loads((tiny_project / "docs" / "facts.json").read_text())
    assert facts["accuracy"] > 0.5           # chance is 1/7


def test_facts_hold_no_run_dependent_values(tiny_project):
    text = (tiny_project / "docs" / "facts.json").read_text()
    assert "seconds" not in text and "cached" not in text
    ledger = json.loads((tiny_project / "docs" / "run.json").read_text())
    assert {s["name"] for s in ledger["stages"]} >= {"load data", "train model", "evaluate", "build site"}


def test_the_site_makes_no_request_outside_itself(tiny_project):
    """Nothing the browser loads by itself (scripts, images, stylesheets, fonts) is off-site; plain links may be,
    and so may the canonical address, which names the page and is never fetched."""
    link = r"""<link\b(?![^>]*\brel="canonical")[^>]*\bhref=["']"""
    loaded = re.compile(rf"""(?:\bsrc=["']|{link}|url\(["']?)(?:https?:)?//""")
    for path in (tiny_project / "site").rglob("*"):
        if path.suffix in (".html", ".css"):
            assert loaded.search(path.read_text(errors="ignore")) is None, path


def test_language_switcher_links_each_page_to_its_translation(tiny_project):
    html = (tiny_project / "site" / "data" / "index.html").read_text()
    assert re.search(r'href="\.\./zh-TW/data/"[^>]*hreflang="zh-TW"', html)
    html = (tiny_project / "site" / "zh-TW" / "data" / "index.html").read_text()
    assert re.search(r'href="\.\./\.\./data/"[^>]*hreflang="en"', html)


def test_a_rerun_trains_nothing_and_a_bad_run_changes_nothing(tiny_project):
    config = str(tiny_project / "report.yml")
    sets = [arg for s in TINY_SETTINGS for arg in ("--set", s)]
    before = {p: p.read_bytes() for p in (tiny_project / "docs").rglob("*") if p.is_file()}
    site_before = (tiny_project / "site" / "index.html").read_bytes()
    result = run_cli("build", "--config", config, "--quiet", *sets, "--set", "model.input_scale=0-3")
    assert result.returncode == 2 and result.stderr.startswith("error: model.input_scale:")
    after = {p: p.read_bytes() for p in (tiny_project / "docs").rglob("*") if p.is_file()}
    assert after == before
    assert (tiny_project / "site" / "index.html").read_bytes() == site_before

    result = run_cli("build", "--config", config, "--quiet", *sets)
    assert result.returncode == 0, result.stderr
    assert not re.search(r"^\[\d+", result.stderr, re.M)            # --quiet: no stage lines
    stages = {s["name"]: s for s in json.loads((tiny_project / "docs" / "run.json").read_text())["stages"]}
    assert stages["train model"]["cached"] and stages["train model"]["model_images"] == 0
    assert stages["load data"]["cached"]
    for page in (tiny_project / "docs").glob("*.md"):
        if not page.name.startswith("reproducibility"):
            assert page.read_bytes() == before[page], page


def test_the_build_log_numbers_every_stage_out_of_the_run_s_stage_count(tiny_project):
    sets = [arg for s in TINY_SETTINGS for arg in ("--set", s)]
    result = run_cli("build", "--config", str(tiny_project / "report.yml"), *sets)   # a log, not a terminal
    assert result.returncode == 0, result.stderr
    numbered = re.findall(r"^\[(\d+)/(\d+)\] (.+?)(?: \.\.\.|: skipped \(.+\))$", result.stderr, re.M)
    stages = [s["name"] for s in json.loads((tiny_project / "docs" / "run.json").read_text())["stages"]]
    assert [name for _, _, name in numbered] == stages            # every stage ran in the tiny report
    assert [(int(n), int(total)) for n, total, _ in numbered] == [(n, len(stages)) for n in range(1, len(stages) + 1)]
    assert "build site" in stages and "trust: randomisation check" in stages


def test_user_notes_appear_under_the_page_and_survive_regeneration(tiny_project, tmp_path):
    notes = tiny_project / "notes" / "en.md"
    original = notes.read_text()
    notes.write_text(original + "\n# lime\nThe cheeks matter more than the eyes here.\n")
    try:
        sets = [arg for s in TINY_SETTINGS for arg in ("--set", s)]
        result = run_cli("generate", "--config", str(tiny_project / "report.yml"), "--quiet", *sets)
        assert result.returncode == 0, result.stderr
        page = (tiny_project / "docs" / "lime.en.md").read_text()
        assert page.rstrip().endswith("The cheeks matter more than the eyes here.")
        assert "cheeks matter" not in (tiny_project / "docs" / "lime.zh-TW.md").read_text()
        assert "cheeks matter" in notes.read_text()
    finally:
        notes.write_text(original)


def test_sitemap_lists_every_page_at_its_address_with_its_translation(tiny_project):
    """site_url defaults to the local preview's address (CI passes the published one)."""
    names = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9", "x": "http://www.w3.org/1999/xhtml"}
    urls = ElementTree.parse(tiny_project / "site" / "sitemap.xml").getroot().findall("s:url", names)
    pages = {url.find("s:loc", names).text: {link.get("hreflang"): link.get("href")
                                             for link in url.findall("x:link", names)} for url in urls}
    base = "http://127.0.0.1:8000/"
    assert len(pages) == 2 * len(PAGES)
    assert pages[base + "data/"] == {"en": base + "data/", "zh-TW": base + "zh-TW/data/"}
    assert pages[base + "zh-TW/data/"] == pages[base + "data/"]


def test_chinese_headings_get_readable_anchors(tiny_project):
    html = (tiny_project / "site" / "zh-TW" / "lime" / "index.html").read_text()
    ids = re.findall(r'<h[1-6] id="([^"]+)"', html)
    assert ids and not [i for i in ids if re.fullmatch(r"_\d+", i)], ids
    assert "哪些類別辨識得好" in ids
    assert "3-lime-and-the-confusion-matrix" in re.findall(
        r'<h[1-6] id="([^"]+)"', (tiny_project / "site" / "lime" / "index.html").read_text())


def test_the_search_index_holds_chinese_as_words_and_english_as_it_is(tiny_project):
    index = json.loads((tiny_project / "site" / "search" / "search_index.json").read_text(encoding="utf-8"))
    texts = {doc["location"]: doc["text"] for doc in index["docs"]}
    chinese = " ".join(text for location, text in texts.items() if location.startswith("zh-TW/"))
    english = " ".join(text for location, text in texts.items() if not location.startswith("zh-TW/"))
    assert "混淆\u200b矩陣" in chinese            # jieba's words, joined by zero-width spaces
    assert re.search(index["config"]["separator"], "\u200b")
    assert "\u200b" not in english and "confusion matrix" in english
    assert index["config"]["lang"] == ["en"]
    site = tiny_project / "site"
    pages = {"" if p.parent == site else p.parent.relative_to(site).as_posix() + "/" for p in site.rglob("index.html")}
    assert {location for location in texts if "#" not in location} == pages   # every page, once
