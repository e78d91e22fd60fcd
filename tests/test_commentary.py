"""Commentary: both languages say the same things, zh-TW reads as Traditional Chinese, text follows the model."""

import json
import re

import jinja2
import pytest
import yaml

from generator.explain.methods import METHODS
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
    allowed = {"CNN", *(m.title for m in METHODS)}
    for run in re.findall(r"[A-Za-z][A-Za-z'-]*(?:[ ,]+[A-Za-z][A-Za-z'-]*){3,}", text):
        words = set(re.split(r"[ ,]+", run))
        assert words <= allowed | set(GLOSSARY["classes"]), run


def test_every_section_has_observations_in_both_languages(tiny_project):
    for name in ("saliency", "filters", "lime", "gradcam"):
        assert "## Observations" in page(tiny_project, name, "en")
        assert "## 觀察" in page(tiny_project, name, "zh-TW")
    findings = re.findall(r"^- ", page(tiny_project, "index", "en").split("## Key findings")[1].split("##")[0], re.M)
    assert 5 <= len(findings) <= 8


def test_class_names_carry_their_english_name_at_their_first_mention_in_zh_tw(tiny_project):
    text = page(tiny_project, "lime", "zh-TW")
    for name, words in GLOSSARY["classes"].items():
        assert text.count(f"{words['zh-TW']}（{name}）") == 1 and f"{name}（" not in text


def test_a_missing_fact_fails_the_rendering(tiny_project):
    import json

    facts = json.loads((tiny_project / "docs" / "facts.json").read_text())
    del facts["filters"]["groups"]
    with pytest.raises(jinja2.UndefinedError):
        render_pages(facts, json.loads((tiny_project / "docs" / "run.json").read_text()), "en", {})


@pytest.mark.slow
def test_the_text_follows_the_model(tiny_project, shortcut_project):
    """A model that learned the planted cue gets different region sentences, in both languages."""
    for lang, heading, happy in (("en", "## Observations", "Happy"), ("zh-TW", "## 觀察", "快樂")):
        default = page(tiny_project, "gradcam", lang).split(heading)[1]
        shortcut = page(shortcut_project, "gradcam", lang).split(heading)[1]
        row = lambda text: re.search(rf"^\| {happy}.*$", text, re.M).group(0)  # noqa: E731, B023
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
    assert re.search(r"\*\*快樂(（Happy）)?\*\*，[\w+-]+：定位偏低", page(shortcut_project, "trust", "zh-TW"))


# --- claims that carry their baseline ----------------------------------------------------------

def test_every_region_named_is_over_represented_for_its_area(tiny_project):
    """Each region the English pages name comes with its lift, and that lift clears the rule."""
    facts = json.loads((tiny_project / "docs" / "facts.json").read_text())
    rule = facts["region_rule"]
    named = 0
    for name in ("index", "saliency", "gradcam", "lime", "filters"):
        text = page(tiny_project, name, "en")
        for lift in re.findall(r"(\d+\.\d)× its area's share", text) + re.findall(r"\| [a-z =]+ (\d+\.\d)× \(", text):
            assert float(lift) >= rule["min_lift"] - 0.05, (name, lift)
            named += 1
    assert named > 10
    for method, regions in {**facts["saliency"]["regions"], **facts["cams"]["regions"]}.items():
        for cls, region_facts in regions["by_class"].items():
            top = region_facts["top"]
            if top is not None:
                assert region_facts["lift"][top] >= rule["min_lift"], (method, cls)
                assert region_facts["shares"][top] >= rule["min_share"], (method, cls)


def _render(tiny_project, change) -> dict:
    facts = json.loads((tiny_project / "docs" / "facts.json").read_text())
    change(facts)
    ledger = json.loads((tiny_project / "docs" / "run.json").read_text())
    return {lang: render_pages(facts, ledger, lang, {}) for lang in ("en", "zh-TW")}


def test_ties_render_as_ties(tiny_project):
    def tie(facts):
        ev = facts["evaluation"]
        ev["per_class_accuracy"].update(Angry=1.0, Disgust=1.0, Fear=1.0, Happy=0.5)
        ev["best_classes"], ev["worst_classes"] = ["Angry", "Disgust", "Fear"], ["Happy"]
    pages = _render(tiny_project, tie)
    assert "- Angry, Disgust and Fear are recognised best (100.0% each), Happy worst (50.0%)" in pages["en"]["index"]
    assert "辨識得最好的是生氣、厭惡與恐懼（皆為 100.0%），最差的是快樂（50.0%）" in pages["zh-TW"]["index"]


def test_a_flag_from_one_image_says_so_and_a_class_flag_gives_its_image_count(tiny_project):
    def flags(facts):
        facts["flags"] = [
            {"kind": "outside_face", "method": "lime", "basis": "sample", "class": "Surprise", "region": "outside",
             "share": 0.7, "area": 0.55, "lift": 1.27, "denser": {}, "images": 1, "class_images": 1},
            {"kind": "outside_face", "method": "gradcam", "basis": "class", "class": "Fear", "region": "outside",
             "share": 0.75, "area": 0.56, "lift": 1.34, "denser": {}, "images": 8, "class_images": 8},
            {"kind": "unique_region", "method": "gradcam", "basis": "class", "class": "Disgust", "region": "brows",
             "share": 0.2, "area": 0.08, "lift": 2.5, "denser": {"nose": 3.1}, "images": 6, "class_images": 8}]
    pages = _render(tiny_project, flags)
    trust, zh = pages["en"]["trust"], pages["zh-TW"]["trust"]
    assert "**Surprise**, LIME: the maps concentrate on the background (70% of the mass on 55% of the pixels, " \
           "1.3× its area's share), in this sample image." in trust
    assert "over 8 test images of the class." in trust
    assert "僅就這張樣本影像而言" in zh and "以該類別 8 張測試影像計算。" in zh
    # Maps with no positive attribution left out are counted apart; a denser region under the mass floor is named.
    assert ("its top region of those holding at least 10% of the mass, the eyebrows (2.5×), is no other class's "
            "top region, over 6 test images of the class (2 more with no positive attribution left out). The nose "
            "is denser than the eyebrows (3.1×), but it holds under 10% of the mass, too little to name.") \
        in pages["en"]["gradcam"]
    assert ("在分到至少 10% 歸因的區域中，最集中的區域是眉毛（2.5 倍），其他類別都不是以這個區域為主（以該類別 6 張"
            "測試影像計算，另有 2 張沒有正值歸因、不計入）。鼻子相對於面積比眉毛更集中（3.1 倍），但只分到不到 10% "
            "的歸因") in pages["zh-TW"]["gradcam"]


def test_a_late_verdict_after_stages_not_compared_says_by_when_not_from_where(tiny_project):
    """On a deep model only some stages are compared: a method first below the threshold at a judged
    stage after others that were not compared may have changed at one of those, so the page says by
    when it had changed, not that it changes only from there."""
    def late(facts):
        methods = facts["trust"]["methods"]
        methods["layercam"].update(sanity_verdict="late", sanity_first_below="conv1_1", sanity_unjudged_before=1)
        methods["scorecam"].update(sanity_verdict="late", sanity_first_below="conv3_1", sanity_unjudged_before=0)
    pages = _render(tiny_project, late)
    trust, zh, index = pages["en"]["trust"], pages["zh-TW"]["trust"], pages["en"]["index"]
    assert "| changes only from `conv3_1` |" in trust and "| changes by `conv1_1` at the latest |" in trust
    assert "changes only from `conv1_1`" not in trust + index
    assert "**changes by `conv1_1` at the latest**" in trust   # the summary table's verdict
    assert "below it by the time `conv1_1` is random too" in index
    assert "below it only once `conv3_1` is random too" in index
    assert "最遲在 `conv1_1` 已改變" in zh and "直到 `conv3_1` 才改變" in zh
    assert "最遲在 `conv1_1` 也隨機化時已降到門檻以下" in pages["zh-TW"]["index"]
