"""The built tiny site in headless Chromium, served under a sub-path as GitHub Pages serves a project site.

Every page of both languages loads without console errors or failed requests,
shows all its images with alt text, asks nothing of any other host, passes
axe-core's serious and critical checks, and is saved as a full-page screenshot
(into .cache/screenshots/, or $SCREENSHOTS) for people to look at. The language
switcher and the figure lightbox are clicked as a reader would.
"""

from __future__ import annotations

import functools
import http.server
import os
import re
import threading
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest

REPO = Path(__file__).resolve().parents[1]
CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
PREFIX = "/cnn-report/"     # https://<owner>.github.io/<repository>/
HOST = "127.0.0.1"
SCREENSHOTS = Path(os.environ.get("SCREENSHOTS", REPO / ".cache" / "screenshots"))
SERIOUS = ("serious", "critical")

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.is_file(), reason=f"no Chromium at {CHROMIUM} "
                       "(apt-get install chromium, or set CHROMIUM to a Chromium-family browser)"),
]
sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed (a test extra)")
axe_package = pytest.importorskip("axe_playwright_python",
                                  reason="the axe-playwright-python package is not installed (a test extra)")
AXE_SCRIPT = Path(axe_package.__file__).parent / "axe.min.js"   # axe-core, as that package ships it
AXE_RUN = """axe.run('article', {resultTypes: ['violations']}).then(r => r.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help, targets: v.nodes.slice(0, 5).map(n => n.target)})))"""


@dataclass
class Visit:
    """What one page did in the browser."""

    path: str                                   # e.g. /cnn-report/zh-TW/data/
    console_errors: list[str] = field(default_factory=list)
    failed_requests: list[str] = field(default_factory=list)
    broken_images: list[str] = field(default_factory=list)
    images_without_alt: list[str] = field(default_factory=list)
    alts: list[str] = field(default_factory=list)
    figure_widths: list[tuple[str, int, int]] = field(default_factory=list)   # (src, drawn, shown) of each figure
    image_count: int = 0
    violations: list[dict] = field(default_factory=list)   # axe-core, every impact
    screenshot: Path | None = None
    switched_to: tuple[str, str] = ("", "")                # (URL path, <html lang>) after the switcher


# --- server ---------------------------------------------------------------------------

class SubPathHandler(http.server.SimpleHTTPRequestHandler):
    """Serves the site folder at PREFIX only; anything else is a 404, as on GitHub Pages."""

    def translate_path(self, path: str) -> str:
        route = urlsplit(path).path
        if not route.startswith(PREFIX):
            return str(Path(self.directory) / ".no-such-file")
        return super().translate_path("/" + path[len(PREFIX):])

    def log_message(self, format, *args) -> None:
        pass


class QuietServer(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address) -> None:
        pass  # the browser drops connections when it leaves a page mid-request


@pytest.fixture(scope="module")
def site_url(chromium, tiny_project):
    """The tiny site at http://127.0.0.1:<port>/cnn-report/ (asks for Chromium first, so a skip comes early)."""
    handler = functools.partial(SubPathHandler, directory=str(tiny_project / "site"))
    server = QuietServer((HOST, 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://{HOST}:{server.server_port}{PREFIX}"
    server.shutdown()
    server.server_close()


# --- browser --------------------------------------------------------------------------

@pytest.fixture(scope="module")
def chromium():
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def offsite() -> list[str]:
    """Every request for a host other than the local server, across the module's tests."""
    return []


@pytest.fixture(scope="module")
def browser_context(chromium, site_url, offsite):
    context = chromium.new_context(viewport={"width": 1280, "height": 900}, service_workers="block")

    def refuse(request_route):
        offsite.append(request_route.request.url)
        request_route.abort()

    context.route(re.compile(rf"^(?!http://{re.escape(HOST)}[:/])"), refuse)  # only other hosts are routed
    context.add_init_script(AXE_SCRIPT.read_text(encoding="utf-8"))
    yield context
    context.close()


def site_pages(site: Path) -> list[str]:
    """URL paths of every page: site/**/index.html, both languages."""
    return sorted(PREFIX + p.parent.relative_to(site).as_posix().removeprefix(".") + ("/" if p.parent != site else "")
                  for p in site.rglob("index.html"))


@pytest.fixture(scope="module")
def visits(browser_context, site_url, tiny_project, request) -> list[Visit]:
    """Each page visited once: events recorded, images checked, axe run, screenshot saved."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    origin = site_url[: -len(PREFIX)]
    results = []
    for path in site_pages(tiny_project / "site"):
        visit = Visit(path)
        page = browser_context.new_page()
        listeners = {
            "console": lambda m, v=visit: m.type == "error" and v.console_errors.append(m.text),
            "pageerror": lambda e, v=visit: v.console_errors.append(str(e)),
            "requestfailed": lambda r, v=visit: v.failed_requests.append(f"{r.url} ({r.failure})"),
            "response": lambda r, v=visit: r.status >= 400 and v.failed_requests.append(f"{r.url} ({r.status})"),
        }
        for event, listener in listeners.items():
            page.on(event, listener)
        page.goto(origin + path, wait_until="load")
        page.wait_for_function("Array.from(document.images).every(i => i.complete)")
        images = page.eval_on_selector_all(
            "img", "els => els.map(i => [i.currentSrc || i.src, i.naturalWidth, (i.getAttribute('alt') || '').trim(), "
                   "i.getBoundingClientRect().width])")
        visit.image_count = len(images)
        visit.broken_images = [src for src, width, _, _ in images if width == 0]
        visit.images_without_alt = [src for src, _, alt, _ in images if not alt]
        visit.alts = [alt for _, _, alt, _ in images]
        visit.figure_widths = [(src, width, shown) for src, width, _, shown in images if "/figures/" in src]
        visit.violations = page.evaluate(AXE_RUN)
        visit.screenshot = SCREENSHOTS / _screenshot_name(path)
        page.screenshot(path=str(visit.screenshot), full_page=True)
        for event, listener in listeners.items():
            page.remove_listener(event, listener)
        visit.switched_to = _switch_language(page)
        page.close()
        results.append(visit)
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    if capture is not None:
        with capture.global_and_fixture_disabled():
            print(f"\nscreenshots of {len(results)} pages: {SCREENSHOTS}")
    return results


def _other_language(path: str) -> tuple[str, str]:
    """The same page's URL path in the other language, and that language."""
    if path.startswith(PREFIX + "zh-TW/"):
        return PREFIX + path.removeprefix(PREFIX + "zh-TW/"), "en"
    return PREFIX + "zh-TW/" + path.removeprefix(PREFIX), "zh-TW"


def _switch_language(page) -> tuple[str, str]:
    """Open the header's language menu as a reader does, pick the other language; where did it lead?"""
    _, lang = _other_language(urlsplit(page.url).path)
    page.hover(".md-header__option .md-select")
    with page.expect_navigation(wait_until="commit"):
        page.click(f"a.md-select__link[hreflang='{lang}']", no_wait_after=True)
    return urlsplit(page.url).path, page.get_attribute("html", "lang")


def _screenshot_name(path: str) -> str:
    """/cnn-report/ -> en_index.png, /cnn-report/zh-TW/data/ -> zh-TW_data.png."""
    parts = path.removeprefix(PREFIX).strip("/").split("/")
    lang = parts.pop(0) if parts[0] == "zh-TW" else "en"
    return f"{lang}_{'_'.join(p for p in parts if p) or 'index'}.png"


def _problems(visits: list[Visit], attribute: str) -> dict[str, list]:
    return {v.path: getattr(v, attribute) for v in visits if getattr(v, attribute)}


# --- tests ----------------------------------------------------------------------------

def test_every_page_of_both_languages_is_visited(visits):
    paths = [v.path for v in visits]
    assert len(paths) >= 16 and len(paths) % 2 == 0
    english = [p for p in paths if not p.startswith(PREFIX + "zh-TW/")]
    assert sorted(PREFIX + "zh-TW/" + p.removeprefix(PREFIX) for p in english) == \
        sorted(p for p in paths if p not in english)


def test_pages_load_without_console_errors_or_failed_requests(visits):
    assert _problems(visits, "failed_requests") == {}
    assert _problems(visits, "console_errors") == {}


def test_every_image_loads_and_has_alt_text(visits):
    assert sum(v.image_count for v in visits) >= 2 * 10   # the figures of both languages
    assert _problems(visits, "broken_images") == {}
    assert _problems(visits, "images_without_alt") == {}


def test_alt_text_is_in_the_pages_language(visits):
    cjk = re.compile("[\u3400-\u9fff]")
    wrong = {v.path: [alt for alt in v.alts if bool(cjk.search(alt)) != v.path.startswith(PREFIX + "zh-TW/")]
             for v in visits}
    assert {path: alts for path, alts in wrong.items() if alts} == {}
    assert any(v.alts for v in visits if v.path.startswith(PREFIX + "zh-TW/"))


def test_figures_are_drawn_at_twice_their_shown_width(visits):
    """Sharp on high-density screens: each figure's PNG has at least twice the pixels it is shown across."""
    figures = [(v.path, *f) for v in visits for f in v.figure_widths]
    assert len(figures) >= 2 * 10
    assert [f for f in figures if f[2] < 1.95 * f[3]] == []


@pytest.mark.parametrize("lang", ["", "zh-TW/"])
def test_figure_headers_line_up_with_the_cells(browser_context, site_url, lang):
    """The saliency grid's column headers sit over its columns and its row headers beside its rows."""
    page = browser_context.new_page()
    page.goto(site_url + lang + "saliency/", wait_until="load")
    page.wait_for_function("Array.from(document.images).every(i => i.complete)")
    found = page.evaluate("""() => {
        const f = document.querySelector('figure.fig-grid'), box = f.querySelector('img').getBoundingClientRect();
        const centre = (e, axis) => { const r = e.getBoundingClientRect();
            return axis === 'x' ? r.x + r.width / 2 : r.y + r.height / 2; };
        return {box: [box.x, box.y, box.width, box.height],
                columns: Array.from(f.querySelectorAll('.fig-columns > span')).map(e => centre(e, 'x')),
                rows: Array.from(f.querySelectorAll('.fig-rows > span')).map(e => centre(e, 'y'))}; }""")
    page.close()
    x, y, width, height = found["box"]
    columns, rows = found["columns"], found["rows"]
    assert len(columns) == 4 and len(rows) >= 2 and width >= 500
    for i, centre in enumerate(columns):
        assert abs(centre - (x + (i + 0.5) * width / len(columns))) <= 2, (i, centre)
    for i, centre in enumerate(rows):
        assert abs(centre - (y + (i + 0.5) * height / len(rows))) <= 2, (i, centre)


def test_no_request_leaves_the_local_server(visits, offsite):
    assert offsite == []


def test_axe_finds_no_serious_or_critical_violation_in_the_article(visits):
    serious = {v.path: [x for x in v.violations if x["impact"] in SERIOUS] for v in visits}
    assert {path: found for path, found in serious.items() if found} == {}


def test_screenshots_are_saved_for_every_page(visits):
    from PIL import Image

    for visit in visits:
        with Image.open(visit.screenshot) as shot:
            assert shot.width == 1280 and shot.height >= 900, visit.screenshot


def test_language_switcher_leads_to_the_same_page_in_the_other_language(visits):
    wrong = {v.path: v.switched_to for v in visits if v.switched_to != _other_language(v.path)}
    assert wrong == {}


def test_clicking_a_figure_opens_it_in_the_lightbox(browser_context, site_url):
    page = browser_context.new_page()
    page.goto(site_url + "saliency/", wait_until="load")
    assert page.locator(".glightbox-container").count() == 0
    figure = page.locator("article a.glightbox").first
    href = figure.get_attribute("href")
    figure.click()
    slide = page.locator(".glightbox-container .gslide.current img")
    slide.wait_for(state="visible", timeout=5000)
    page.wait_for_function("document.querySelector('.gslide.current img').naturalWidth > 0")
    assert slide.get_attribute("src").endswith(href.removeprefix("../"))
    page.keyboard.press("Escape")
    page.locator(".glightbox-container").wait_for(state="detached", timeout=5000)
    page.close()


def _search(page, words: str) -> list[str]:
    """Type `words` into the header's search box; the URL paths of the pages found, best first."""
    box = page.locator("input.md-search__input")
    box.fill(words)
    box.press("End")       # Material reads the box on key-up; fill() alone sends no key
    page.locator(".md-search-result__item").first.wait_for(state="visible", timeout=10000)
    links = page.eval_on_selector_all(".md-search-result__item > a.md-search-result__link",
                                      "els => els.map(a => a.href)")
    return [urlsplit(link).path for link in links]


def test_searching_chinese_words_on_the_chinese_site_finds_the_page(browser_context, site_url):
    page = browser_context.new_page()
    page.goto(site_url + "zh-TW/", wait_until="load")
    found = _search(page, "混淆矩陣")
    page.wait_for_function("getComputedStyle(document.querySelector('.md-search__output')).opacity === '1'")
    page.screenshot(path=str(SCREENSHOTS / "zh-TW_search.png"))
    assert found[0] == PREFIX + "zh-TW/lime/", found
    page.click(".md-search-result__link[href*='/zh-TW/lime/?h=%']")   # the section that holds the words
    page.wait_for_url(re.compile(r"/zh-TW/lime/\?h=%"))
    page.locator("article mark[data-md-highlight]").first.wait_for(timeout=10000)
    marked = page.eval_on_selector_all("article mark[data-md-highlight]", "els => els.map(e => e.textContent)")
    assert "混淆" in marked                           # search.highlight marks the words found on the page
    page.close()


def test_searching_english_words_on_the_english_site_finds_the_page(browser_context, site_url):
    page = browser_context.new_page()
    page.goto(site_url, wait_until="load")
    found = _search(page, "confusion matrix")
    assert found[0] == PREFIX + "lime/", found
    page.close()


def test_code_blocks_have_a_copy_button_that_copies_them(browser_context, site_url):
    browser_context.grant_permissions(["clipboard-read", "clipboard-write"])
    page = browser_context.new_page()
    page.goto(site_url + "reproducibility/", wait_until="load")
    block = page.locator("article pre").first
    block.hover()
    block.locator("button.md-code__button[data-md-type='copy']").click()
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied.strip() == block.locator("code").inner_text().strip()
    assert '"seed"' in copied
    page.close()


def test_each_page_links_the_previous_and_next_page_in_its_footer(browser_context, site_url):
    page = browser_context.new_page()
    page.goto(site_url + "zh-TW/lime/", wait_until="load")
    links = {kind: urlsplit(page.eval_on_selector(f"a.md-footer__link--{kind}", "a => a.href")).path
             for kind in ("prev", "next")}
    assert links == {"prev": PREFIX + "zh-TW/filters/", "next": PREFIX + "zh-TW/gradcam/"}
    page.close()
