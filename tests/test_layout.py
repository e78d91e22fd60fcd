"""The package's shape: imports only downward, short modules, typed results, one spelling of each method title."""

import ast
import re
from pathlib import Path

from generator.explain.methods import METHODS

PACKAGE = Path(__file__).resolve().parents[1] / "generator"
# Each layer may import its own and the layers before it, never a later one.
LAYERS = (
    {"errors", "vocabulary", "usage", "cache", "progress", "output", "setting"},
    {"data"},
    {"model"},
    {"explain"},
    {"analysis"},
    {"figures"},
    {"config", "results"},
    {"context"},
    {"sections"},
    {"pages"},
    {"pipeline", "export", "settings_doc"},
    {"cli", "__main__", "__init__"},
)
MAX_LINES = 400


def _modules():
    return sorted(p for p in PACKAGE.rglob("*.py"))


def _layer(parts: tuple[str, ...]) -> int:
    top = parts[0].removesuffix(".py")
    return next(i for i, layer in enumerate(LAYERS) if top in layer)


def _imported(path: Path) -> list[tuple[str, ...]]:
    """The generator modules `path` imports, as parts after `generator.`, lazy imports included."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        names = ([node.module] if isinstance(node, ast.ImportFrom) and node.module
                 else [a.name for a in node.names] if isinstance(node, ast.Import) else [])
        found += [tuple(name.split(".")[1:]) for name in names if name.split(".")[0] == "generator"]
    return [parts for parts in found if parts]


def test_every_import_goes_to_the_same_or_a_lower_layer():
    upward = []
    for path in _modules():
        own = _layer(path.relative_to(PACKAGE).parts)
        upward += [f"{path.relative_to(PACKAGE)} imports generator.{'.'.join(parts)}"
                   for parts in _imported(path) if _layer(parts) > own]
    assert upward == []


def test_data_takes_only_what_it_needs():
    forbidden = {"config", "analysis", "sections", "figures", "pipeline"}
    for path in (PACKAGE / "data").rglob("*.py"):
        assert not {parts[0] for parts in _imported(path)} & forbidden, path


def test_no_module_is_over_400_lines():
    long = {str(p.relative_to(PACKAGE)): n for p in _modules()
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert long == {}


def test_results_are_typed_not_looked_up_by_string():
    for path in _modules():
        assert not re.search(r"results\[[\"']", path.read_text(encoding="utf-8")), path


def test_each_method_title_is_spelled_once_in_the_python_code():
    for method in METHODS:
        spelled = [p for p in _modules() if f'"{method.title}"' in p.read_text(encoding="utf-8")]
        assert [p.name for p in spelled] == ["methods.py"], (method.title, spelled)
