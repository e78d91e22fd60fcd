"""Language: English plurals and articles right; zh-TW with Chinese class names after their first mention,
Taiwanese spacing and terms, and no English left in the prose."""

import re

import pytest
import yaml

from generator.explain.methods import METHODS, title
from generator.pages import PAGES, TEMPLATES, tidy_cjk_spacing
from tests.test_commentary import page, prose

GLOSSARY = yaml.safe_load((TEMPLATES / "glossary.yml").read_text(encoding="utf-8"))
CJK = "\u3400-\u9fff"
# A figure's column and row headers name classes by their short name: the first mention, with the English
# name, belongs to the prose (and no figure on a zh-TW page carries English words).
FIGURE_HEADERS = re.compile(r'<div class="fig-(?:columns|rows)">.*?</div>', re.S)
UNITS = ("image", "filter", "pair", "epoch", "row", "channel", "test image", "sample image", "stripe filter",
         "correctly classified image", "flag", "more such flag")


@pytest.mark.parametrize("name", PAGES)
def test_english_plurals_agree_with_their_numbers(tiny_project, name):
    text = prose(page(tiny_project, name, "en"))
    for unit in UNITS:
        assert not re.search(rf"(?<![\d.,]) 1 {unit}s\b", " " + text), (unit, name)
        assert not re.search(rf"\b(?:[02-9]|\d\d+) {unit}\b(?!s)", text), (unit, name)
    assert not re.search(r"\b1 (?:show|respond|are|favour|do)\b", text), name


@pytest.mark.parametrize("name", PAGES)
def test_zh_tw_names_classes_in_chinese_after_their_first_mention(tiny_project, name):
    text = prose(FIGURE_HEADERS.sub(" ", page(tiny_project, name, "zh-TW")))
    for cls, words in GLOSSARY["classes"].items():
        latin = len(re.findall(rf"\b{cls}\b", text))
        assert latin <= 1, (cls, latin)
        if latin:
            assert f"{words['zh-TW']}（{cls}）" in text
            first_chinese = text.index(words["zh-TW"])
            assert text.index(f"{words['zh-TW']}（{cls}）") == first_chinese, cls


@pytest.mark.parametrize("name", PAGES)
def test_zh_tw_spacing_is_taiwanese(tiny_project, name):
    text = re.sub(r"```.*?```|`[^`\n]*`", "CODE", page(tiny_project, name, "zh-TW"), flags=re.S)
    assert not re.search(f"[{CJK}] +[{CJK}]", text), re.search(f".{{9}}[{CJK}] +[{CJK}].{{9}}", text)
    assert not re.search("[，。；：、（）「」] +[^|\\s]|[^|\\s] +[，。；：、（）「」]", text)
    assert not re.search(f"[{CJK}][A-Za-z0-9]|[A-Za-z0-9][{CJK}]", text)
    # A line break inside a paragraph renders as a space: Chinese sentences stay on one line.
    assert not re.search(f"[{CJK}，。；：、）」]\n[{CJK}（「]", text)


@pytest.mark.parametrize("name", PAGES)
def test_zh_tw_uses_taiwanese_terms_and_leaves_no_english(tiny_project, name):
    text = prose(page(tiny_project, name, "zh-TW"))
    for term in GLOSSARY["terms"].values():
        assert term["not"] not in text, term
    for word in GLOSSARY["leftover_english"]:
        assert not re.search(rf"(?i)\b{re.escape(word)}\b", text), (word, name)
    assert "Saliency" not in text.replace("Saliency map", "")       # the page title keeps the English term once


def test_method_titles_have_one_spelling_per_language():
    assert title("saliency", "zh-TW") == "顯著圖" and title("saliency") == "Saliency"
    assert all(title(m.key, "zh-TW") == m.title for m in METHODS if m.key != "saliency")


def test_spacing_rules_on_their_own():
    assert tidy_cjk_spacing("共64張 ， 見`conv3_1`層 與 第 5 節") == "共 64 張，見 `conv3_1` 層與第 5 節"
    assert tidy_cjk_spacing("| 生氣 | 眉毛（25%） |") == "| 生氣 | 眉毛（25%） |"     # table cells keep their padding
    joined = tidy_cjk_spacing("對輸入做梯度上升，\n找出最能激發的影像\n\n## 觀察")
    assert joined == "對輸入做梯度上升，找出最能激發的影像\n\n## 觀察"
