"""Commentary: both languages say the same things, zh-TW reads as Traditional Chinese, text follows the model."""

import re

import jinja2
import numpy as np
import pytest
import yaml

from generator.pages import PAGES, TEMPLATES, render_pages

# Common Simplified-only forms (their Traditional forms differ).
SIMPLIFIED = set("这们说时对数据图层确练网络类区显么为从动还进过样两没应该发现关与个实检验经达间题线纹边觉见简为图")
GLOSSARY = yaml.safe_load((TEMPLATES / "glossary.yml").read_text(encoding="utf-8"))


def page(project, name, lang):
    return (project / "docs" / f"{name}.{lang}.md").read_text(encoding="utf-8")


def prose(markdown: str) -> str:
    """The text a reader reads: no code, image targets, HTML tags or link targets."""
    text = re.sub(r"```.*?```", " ", markdown, flags=re.S)
    text = re.sub(r"`[^`]*`", " ", text)
    text = re.sub(r"!\[[^\]]*\]\([^)]*\)", " ", text)
    text = re.sub(r"\]\([^)]*\)", "]", text)
    return re.sub(r"<[^>]+>", " ", text)


def numbers(markdown: str) -> list[str]:
    return sorted(re.findall(r"\d+(?:[.,]\d+)*", prose(markdown)))


@pytest.mark.parametrize("name", PAGES)
def test_both_languages_show_the_same_figures_sections_and_numbers(tiny_project, name):
    en, zh = page(tiny_project, name, "en"), page(tiny_project, name, "zh-TW")
    figures = lambda text: re.findall(r"!\[[^\]]*\]\(([^)]+)\)", text)  # noqa: E731
    assert figures(en) == figures(zh)
    headings = lambda text: len(re.findall(r"^#{1,3} ", text, re.M))  # noqa: E731
    assert headings(en) == headings(zh)
    if name != "reproducibility":  # that page shows this run's times
        assert numbers(en) == numbers(zh)


@pytest.mark.parametrize("name", PAGES)
def test_zh_tw_is_traditional_and_fully_translated(tiny_project, name):
    text = prose(page(tiny_project, name, "zh-TW"))
    assert not SIMPLIFIED & set(text), SIMPLIFIED & set(text)
    for term in GLOSSARY["terms"].values():
        assert term["not"] not in text, term
    allowed = {"Grad-CAM", "Score-CAM", "Layer-CAM", "SmoothGrad", "Saliency", "LIME", "CNN"}
    for run in re.findall(r"[A-Za-z][A-Za-z'-]*(?:[ ,]+[A-Za-z][A-Za-z'-]*){3,}", text):
        words = set(re.split(r"[ ,]+", run))
        assert words <= allowed | set(GLOSSARY["classes"]) | set(GLOSSARY["methods"].values()), run


def test_every_section_has_observations_in_both_languages(tiny_project):
    for name in ("saliency", "filters", "lime", "gradcam"):
        assert "## Observations" in page(tiny_project, name, "en")
        assert "## 觀察" in page(tiny_project, name, "zh-TW")
    findings = re.findall(r"^- ", page(tiny_project, "index", "en").split("## Key findings")[1].split("##")[0], re.M)
    assert 5 <= len(findings) <= 8


def test_class_names_carry_their_translation_in_zh_tw(tiny_project):
    text = page(tiny_project, "lime", "zh-TW")
    for name, words in GLOSSARY["classes"].items():
        assert f"{name}（{words['zh-TW']}）" in text


def test_a_missing_fact_fails_the_rendering(tiny_project):
    import json

    facts = json.loads((tiny_project / "docs" / "facts.json").read_text())
    del facts["filters"]["groups"]
    with pytest.raises(jinja2.UndefinedError):
        render_pages(facts, json.loads((tiny_project / "docs" / "run.json").read_text()), "en", {})


def test_grad_cam_finds_the_parts_that_carry_happy_and_surprise(tiny_run):
    """The synthetic classes are drawn that way: Happy by mouth and cheeks, Surprise by mouth, eyes, brows."""
    from generator.analysis.regions import describe_attribution_mean
    from generator.explain.cams import compute_cams
    from generator.explain.feature_maps import response_layers

    data, model = tiny_run.results.data.dataset, tiny_run.results.model.model
    layer = response_layers(model.keras, "conv3_1")[-1]
    expected = {"Happy": {"mouth", "cheeks"}, "Surprise": {"mouth", "eyes", "brows"}}
    for name, regions in expected.items():
        pick = np.flatnonzero(data.test.labels == data.class_names.index(name))[:20]
        maps = compute_cams(model.keras, model.to_input(data.test.images[pick]), data.test.labels[pick], layer,
                            methods=("gradcam",))["gradcam"]
        shares = describe_attribution_mean(maps, data.test.regions[pick])
        assert shares.top_by_density in regions, (name, shares)


@pytest.mark.slow
def test_the_text_follows_the_model(tiny_project, shortcut_project):
    """A model that learned the planted cue gets different region sentences, in both languages."""
    for lang, heading in (("en", "## Observations"), ("zh-TW", "## 觀察")):
        default = page(tiny_project, "gradcam", lang).split(heading)[1]
        shortcut = page(shortcut_project, "gradcam", lang).split(heading)[1]
        row = lambda text: re.search(r"^\| Happy.*$", text, re.M).group(0)  # noqa: E731
        assert row(default) != row(shortcut)


@pytest.mark.slow
def test_the_planted_shortcut_is_flagged_and_only_then(tiny_project, shortcut_project):
    import json

    def flagged(project):
        facts = json.loads((project / "docs" / "facts.json").read_text())
        return {f["class"] for f in facts["flags"] if f["kind"] == "low_localisation"}

    assert "Happy" in flagged(shortcut_project)
    assert "Happy" not in flagged(tiny_project)
    assert re.search(r"\*\*Happy\*\*, [\w+-]+: low localisation", page(shortcut_project, "trust", "en"))
    assert re.search(r"\*\*Happy（快樂）\*\*，[\w+-]+：定位偏低", page(shortcut_project, "trust", "zh-TW"))
