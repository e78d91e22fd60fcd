"""The README's settings table is the config's own field documentation."""

import dataclasses

import pytest

from generator.config import Config
from generator.setting import setting
from generator.settings_doc import BEGIN, END, README, settings_rows, settings_table, with_settings_table


def leaf_keys(cls, prefix=""):
    keys = []
    for field in dataclasses.fields(cls):
        value = getattr(cls(), field.name) if dataclasses.is_dataclass(cls) else None
        if dataclasses.is_dataclass(value):
            keys += leaf_keys(type(value), f"{prefix}{field.name}.")
        else:
            keys.append(f"{prefix}{field.name}")
    return keys


def test_the_readme_table_is_the_one_the_config_gives():
    text = README.read_text(encoding="utf-8")
    assert with_settings_table(text) == text, "run: .venv/bin/python -m generator.settings_doc"
    assert text.count(BEGIN) == text.count(END) == 1


def test_every_setting_has_a_row_with_its_type_default_and_doc():
    rows = {key: (kind, default, doc) for key, kind, default, doc in settings_rows()}
    assert list(rows) == leaf_keys(Config)
    assert rows["model.weights"][:2] == ("text or null", "null")
    assert rows["trust.enabled"][:2] == ("true/false", "true")
    assert rows["methods.lime.num_samples"][:2] == ("integer", "1000")
    assert rows["model.arch"][:2] == ("one of small, vgg", "small")
    assert rows["data.splits"][0] == "mapping to (number or text) or null"
    assert all(doc and "\n" not in doc for _, _, doc in rows.values())


def test_a_setting_without_a_doc_is_named():
    @dataclasses.dataclass(frozen=True)
    class Section:
        documented: int = setting(1, "A documented setting.")
        bare: int = 2

    with pytest.raises(ValueError, match="setting section.bare has no doc"):
        settings_rows(Section, "section.")
    with pytest.raises(ValueError, match="one-line doc"):
        setting(1, "two\nlines")


def test_the_table_goes_between_the_markers_only():
    text = f"before\n{BEGIN}\nold table\n{END}\nafter\n"
    updated = with_settings_table(text)
    assert updated == f"before\n{BEGIN}\n{settings_table()}\n{END}\nafter\n"
    assert with_settings_table(updated) == updated
    assert settings_table().count("\n") == len(settings_rows()) + 1
