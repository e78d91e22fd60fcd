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

from generator.analysis.regions import RegionScheme
from generator.errors import UserError
from generator.explain.methods import METHODS, title
from generator.figures import style
from generator.figures.regions import region_colours

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
PAGES = ("index", "saliency", "filters", "lime", "gradcam", "mistakes", "trust", "data", "reproducibility")


@lru_cache(maxsize=1)
def load_glossary() -> dict:
    """Class, region and term names per language (templates/glossary.yml)."""
    return yaml.safe_load((TEMPLATES / "glossary.yml").read_text(encoding="utf-8"))


def method_titles(lang: str) -> dict[str, str]:
    """Each method's title in `lang`, from the method registry."""
    return {method.key: title(method.key, lang) for method in METHODS}


def languages_of(mkdocs_yml: Path) -> list[tuple[str, bool]]:
    """(locale, is_default) of each language the i18n plugin of mkdocs.yml builds.

    mkdocs.yml is read as MkDocs reads it (its YAML loader: !ENV, !relative, INHERIT, Python tags).
    """
    from mkdocs.config.defaults import MkDocsConfig
    from mkdocs.exceptions import ConfigurationError
    from mkdocs.utils.yaml import get_yaml_loader, yaml_load

    loader = get_yaml_loader(config=MkDocsConfig(config_file_path=str(mkdocs_yml)))
    try:
        with mkdocs_yml.open("rb") as handle:
            config = yaml_load(handle, loader)
    except (ConfigurationError, OSError, ImportError) as error:
        raise UserError(mkdocs_yml, f"could not be read ({str(error).strip().splitlines()[0][:160]})",
                        "check it with mkdocs build") from None
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
    context = {"facts": facts, "run": run, "lang": lang, "notes": notes}
    tidy = tidy_cjk_spacing if lang.startswith(("zh", "ja")) else (lambda text: text)
    env = _environment(lang, TEMPLATES)
    pages = {}
    for page in PAGES:
        env.filters["cls"].new_page()
        pages[page] = tidy(env.get_template(f"{lang}/{page}.md.j2").render(context))
    return pages


_CJK = "\u3400-\u9fff\uf900-\ufaff"
_FULL_WIDTH = "，。；：、！？（）「」『』《》〈〉＝／"
_LATIN = "A-Za-z0-9%°×²+"


def tidy_cjk_spacing(text: str) -> str:
    """Chinese text spaced as Taiwanese technical writing is: one space between Chinese and Latin
    letters, digits or `code`, none between two Chinese characters or beside full-width
    punctuation, and no line break inside a sentence (Markdown would render it as a space).
    Code (fenced blocks and `inline`) itself is left as it is."""
    parts = re.split(r"(```.*?```|`[^`\n]*`)", text, flags=re.S)
    for i in range(0, len(parts), 2):
        part = re.sub(f"(?<=[{_CJK}{_FULL_WIDTH}])\n(?=[{_CJK}{_FULL_WIDTH}])", "", parts[i])
        part = re.sub(f"(?<=[{_CJK}]) +(?=[{_CJK}])", "", part)
        part = re.sub(f"(?<=[^|\\s]) +(?=[{_FULL_WIDTH}])|(?<=[{_FULL_WIDTH}]) +(?=[^|\\s])", "", part)
        part = re.sub(f"(?<=[{_CJK}])(?=[{_LATIN}])|(?<=[{_LATIN}])(?=[{_CJK}])", " ", part)
        if i > 0 and parts[i - 1].startswith("`") and not parts[i - 1].startswith("```"):
            part = re.sub(f"^(?=[{_CJK}])", " ", part)
        if i + 1 < len(parts) and not parts[i + 1].startswith("```"):
            part = re.sub(f"(?<=[{_CJK}])$", " ", part)
        parts[i] = part
    return "".join(parts)


def _scheme_colours(kind: str) -> dict[str, str]:
    """The region scheme's (face, grid, none) tinted regions and their colours, as its figure draws them."""
    scheme = RegionScheme(kind)
    return region_colours(scheme.names, scheme.background)


@lru_cache(maxsize=8)
def _environment(lang: str, templates: Path) -> jinja2.Environment:
    """One language's environment, made once: its templates are compiled once for all pages (a
    template edited meanwhile is reloaded, FileSystemLoader's auto_reload)."""
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(templates), undefined=jinja2.StrictUndefined,
                             keep_trailing_newline=True, trim_blocks=True, lstrip_blocks=True,
                             autoescape=False)
    words = {**load_glossary(), "methods": method_titles(lang)}

    def named(table: str):
        return lambda name: words[table].get(name, {}).get(lang, name)

    env.globals.update(glossary=words, swatch=style.svg_swatch, gradient=style.css_gradient,
                       region_colours=_scheme_colours)
    env.filters.update({
        "cls": _ClassLabel(words, lang),
        "class_name": named("classes"),
        "shade": style.cell_style,
        "bar": style.bar_style,
        "region": lambda name: words["regions"][name][lang],
        "method_title": lambda key: words["methods"][key],
        "prefix_the": lambda text: f"the {text}",
        "split": named("splits"),
        "source": named("sources"),
        "arch": named("archs"),
        "stage": named("stages"),
        "sentence": lambda text: text[:1].upper() + text[1:],
        "pct": lambda value, digits=1: "n/a" if value is None else f"{100 * value:.{digits}f}%",
        "times": (lambda value: f"{value:.1f}×") if lang == "en" else (lambda value: f"{value:.1f} 倍"),
        "num": lambda value: f"{value:,}",
        "ordinal": _ordinal,
        "trim_zero": lambda value: f"{value:g}",
        "tojson": lambda value: json.dumps(value, indent=2, ensure_ascii=False, sort_keys=True),
    })
    return env


def _ordinal(n: int) -> str:
    """1st, 2nd, 3rd, 4th, ..., 11th, 12th, 13th, 21st (English)."""
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


class _ClassLabel:
    """English class names stay as they are. Elsewhere a class is named in the page's language,
    with the English name added the first time it appears on the page: 快樂（Happy）, then 快樂.
    `new_page` starts a page (macros imported by a template keep this filter between pages)."""

    def __init__(self, words: dict, lang: str):
        self.words, self.lang = words, lang
        self.seen: set[str] = set()

    def new_page(self) -> None:
        self.seen = set()

    def __call__(self, name: str) -> str:
        local = self.words["classes"].get(name, {}).get(self.lang)
        if self.lang == "en" or not local:
            return name
        if name in self.seen:
            return local
        self.seen.add(name)
        return f"{local}（{name}）"
