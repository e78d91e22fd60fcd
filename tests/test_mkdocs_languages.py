"""The languages the site builds, read from mkdocs.yml the way MkDocs reads it."""

import pytest

from generator.errors import UserError
from generator.pages import languages_of
from tests.conftest import REPO

I18N = """\
plugins:
  - search
  - i18n:
      docs_structure: suffix
      languages:
        - locale: en
          default: true
        - locale: zh-TW
        - locale: fr
          build: false
"""


def test_the_shipped_mkdocs_yml_builds_english_first_then_traditional_chinese():
    assert languages_of(REPO / "mkdocs.yml") == [("en", True), ("zh-TW", False)]


def test_env_relative_and_python_tags_are_read_as_mkdocs_reads_them(tmp_path, monkeypatch):
    monkeypatch.setenv("REPORT_SITE_URL", "https://example.org/report/")
    path = tmp_path / "mkdocs.yml"
    path.write_text('site_name: !ENV [REPORT_NAME, "Report"]\n'
                    'site_url: !ENV [REPORT_SITE_URL, "https://example.org/"]\n'
                    "markdown_extensions:\n  - pymdownx.snippets:\n      base_path: !relative $config_dir\n"
                    "  - pymdownx.superfences:\n      custom_fences:\n        - name: x\n"
                    "          format: !!python/name:pymdownx.superfences.fence_code_format\n" + I18N)
    assert languages_of(path) == [("en", True), ("zh-TW", False)]


def test_languages_come_from_an_inherited_file(tmp_path):
    (tmp_path / "base.yml").write_text(I18N)
    path = tmp_path / "mkdocs.yml"
    path.write_text("INHERIT: base.yml\nsite_name: Report\n")
    assert languages_of(path) == [("en", True), ("zh-TW", False)]


def test_without_the_i18n_plugin_the_site_is_english(tmp_path):
    path = tmp_path / "mkdocs.yml"
    path.write_text("site_name: !ENV [REPORT_UNSET_NAME, Report]\nplugins: [search]\n")
    assert languages_of(path) == [("en", True)]


def test_a_broken_mkdocs_yml_is_a_user_error(tmp_path):
    path = tmp_path / "mkdocs.yml"
    path.write_text("site_name: [unclosed\n")
    with pytest.raises(UserError) as caught:
        languages_of(path)
    assert caught.value.where == str(path) and caught.value.what.startswith("could not be read (")
    assert "\n" not in caught.value.line()
