"""Facts + figure paths -> Markdown pages, one per page and language, via Jinja2 templates.

Templates never compute: they phrase facts. StrictUndefined makes a missing fact
fail the build instead of printing nothing.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path

import jinja2
import yaml
from mkdocs.utils.yaml import yaml_load

from generator.explain.methods import METHODS

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
PAGES = ("index", "saliency", "filters", "lime", "gradcam", "trust", "data", "reproducibility")


@lru_cache(maxsize=1)
def load_glossary() -> dict:
    """Class, region and term names per language (templates/glossary.yml), and the method titles
    (kept in Latin letters in every language) from the method registry."""
    words = yaml.safe_load((TEMPLATES / "glossary.yml").read_text(encoding="utf-8"))
    return {**words, "methods": {method.key: method.title for method in METHODS}}


def languages_of(mkdocs_yml: Path) -> list[tuple[str, bool]]:
    """(locale, is_default) of each language the i18n plugin of mkdocs.yml builds."""
    with mkdocs_yml.open("rb") as handle:   # read as MkDocs reads it: !ENV, !!python tags, INHERIT
        config = yaml_load(handle)
    for plugin in config.get("plugins", []):
        if isinstance(plugin, dict) and "i18n" in plugin:
            return [(lang["locale"], bool(lang.get("default"))) for lang in plugin["i18n"]["languages"]
                    if lang.get("build", True)]
    return [("en", True)]


def page_filename(page: str, lang: str) -> str:
    """mkdocs-static-i18n suffix layout: data.en.md, data.zh-TW.md."""
    return f"{page}.{lang}.md"


def load_notes(folder: Path, lang: str) -> dict[str, str]:
    """The user's own notes: `<folder>/<lang>.md`, one block per page under a `# <page>` line."""
    path = folder / f"{lang}.md"
    if not path.is_file():
        return {}
    notes: dict[str, list[str]] = {}
    current = None
    for line in path.read_text(encoding="utf-8-sig").splitlines():
        heading = re.fullmatch(r"#\s+(\w+)\s*", line)
        if heading and heading.group(1) in PAGES:
            current = heading.group(1)
            notes[current] = []
        elif current:
            notes[current].append(line)
    cleaned = {page: re.sub(r"<!--.*?-->", "", "\n".join(lines), flags=re.S).strip()
               for page, lines in notes.items()}
    return {page: text for page, text in cleaned.items() if text}


def render_pages(facts: dict, run: dict, lang: str, notes: dict[str, str]) -> dict[str, str]:
    """Every page of one language: page name -> Markdown."""
    env = _environment(lang)
    context = {"facts": facts, "run": run, "lang": lang, "notes": notes}
    return {page: env.get_template(f"{lang}/{page}.md.j2").render(context) for page in PAGES}


def _environment(lang: str) -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), undefined=jinja2.StrictUndefined,
                             keep_trailing_newline=True, trim_blocks=True, lstrip_blocks=True,
                             autoescape=False)
    words = load_glossary()
    env.globals["glossary"] = words
    env.filters["cls"] = lambda name: _class_label(words, name, lang)
    env.filters["region"] = lambda name: words["regions"][name][lang]
    env.filters["split"] = lambda name: words["splits"].get(name, {}).get(lang, name)
    env.filters["pct"] = lambda value, digits=1: "n/a" if value is None else f"{100 * value:.{digits}f}%"
    env.filters["num"] = lambda value: f"{value:,}"
    env.filters["tojson"] = lambda value: json.dumps(value, indent=2, ensure_ascii=False, sort_keys=True)
    return env


def _class_label(words: dict, name: str, lang: str) -> str:
    """English class names stay as they are; other languages add the translation: Happy（快樂）."""
    local = words["classes"].get(name, {}).get(lang)
    return name if lang == "en" or not local else f"{name}（{local}）"
