"""The facts contract: generator/facts.schema.json is a valid, documented schema that every facts.json meets."""

import jsonschema
import pytest

from tests.conftest import facts_schema, read_facts


def _properties(node, path="$"):
    """(path, schema) of every named property anywhere in the schema."""
    if isinstance(node, dict):
        for name, value in node.get("properties", {}).items():
            yield f"{path}.{name}", value
        for key, value in node.items():
            yield from _properties(value, f"{path}.{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _properties(value, f"{path}[{i}]")


def test_the_schema_is_valid_json_schema():
    jsonschema.Draft202012Validator.check_schema(facts_schema())


def test_every_key_is_documented_in_one_line():
    undocumented = [path for path, value in _properties(facts_schema())
                    if not value.get("description") or "\n" in value["description"]]
    assert undocumented == []


def test_the_tiny_report_meets_the_contract(tiny_project):
    facts = read_facts(tiny_project)
    assert facts["data"]["source"] == "synthetic" and facts["trust"]["available"]


@pytest.mark.slow
def test_the_shortcut_report_meets_the_contract(shortcut_project):
    assert read_facts(shortcut_project)["data"]["shortcut"] == "Happy"


def test_the_contract_refuses_an_unknown_or_mistyped_fact(tiny_project):
    facts = read_facts(tiny_project)
    validator = jsonschema.Draft202012Validator(facts_schema())
    assert validator.is_valid(facts)
    assert not validator.is_valid({**facts, "surprise": 1})
    assert not validator.is_valid({**facts, "accuracy": 1.5})
    broken = {**facts, "data": {**facts["data"], "figures": {**facts["data"]["figures"], "regions": "/etc/passwd"}}}
    assert not validator.is_valid(broken)
