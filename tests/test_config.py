"""Config: defaults, overrides, and errors that name the key."""

from pathlib import Path

import pytest

from generator.config import Config, load_config
from generator.errors import UserError
from tests.conftest import REPO


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "report.yml"
    path.write_text(text)
    return path


def error_of(tmp_path, text, *overrides) -> UserError:
    with pytest.raises(UserError) as caught:
        load_config(write(tmp_path, text), list(overrides))
    return caught.value


def test_shipped_report_yml_is_valid_and_uses_the_synthetic_default():
    config = load_config(REPO / "report.yml")
    assert config.data.format == "synthetic"
    assert config.model.path is None
    assert config.classes == list(Config().classes)


def test_overrides_reach_nested_keys_with_yaml_types(tmp_path):
    config = load_config(write(tmp_path, "seed: 1\n"), ["model.epochs=5", "data.synthetic.shortcut=Happy",
                                                        "model.input_scale={mean: 127.5, std: 64}"])
    assert config.seed == 1
    assert config.model.epochs == 5
    assert config.data.synthetic.shortcut == "Happy"
    assert config.model.input_scale == {"mean": 127.5, "std": 64.0}


def test_unknown_key_names_the_key_and_suggests_the_closest(tmp_path):
    error = error_of(tmp_path, "model:\n  epocs: 3\n")
    assert error.where == "model.epocs"
    assert "did you mean epochs?" in error.line()


def test_unknown_key_in_an_override(tmp_path):
    assert error_of(tmp_path, "", "data.synthetic.per_clas=3").where == "data.synthetic.per_clas"


@pytest.mark.parametrize("text, key, words", [
    ("seed: abc\n", "seed", "whole number"),
    ("model:\n  epochs: 2.5\n", "model.epochs", "whole number"),
    ("data:\n  format: parquet\n", "data.format", "synthetic"),
    ("classes: Happy\n", "classes", "list"),
    ("model: 3\n", "model", "mapping"),
    ("model:\n  input_scale: 0-2\n", "model.input_scale", "-1-1"),
    ("data:\n  synthetic:\n    shortcut: Joy\n", "data.synthetic.shortcut", "Happy"),
    ("data:\n  format: fer2013-csv\n", "data.path", "required"),
    ("samples:\n  Hapy: 3\n", "samples.Hapy", "Happy"),
    ("regions:\n  mouth: [0.5, 0.5, 0.2, 0.9]\n", "regions.mouth", "x0"),
    ("regions:\n  lips: [0, 0, 1, 1]\n", "regions.lips", "known keys: forehead"),
    ("regions:\n  outside: [0, 0, 1, 1]\n", "regions.outside", "unknown region"),
    ("seed: 1\nmodel:\n\tepochs: 3\n", "report.yml:3", "YAML"),
    ("trust:\n  sanity_threshold: 1.5\n", "trust.sanity_threshold", "outside (-1, 1]"),
    ("trust:\n  low_localisation: 0\n", "trust.low_localisation", "outside (0, 1]"),
    ("trust:\n  agreement_threshold: high\n", "trust.agreement_threshold", "number"),
    ("trust:\n  steps: 1\n", "trust.steps", "at least 2"),
    ("model:\n  path: m.keras\n  weights: m.h5\n", "model.weights", "architecture .json"),
    ("model:\n  weights: m.h5\n", "model.weights", "architecture .json"),
])
def test_bad_values_name_the_key(tmp_path, text, key, words):
    error = error_of(tmp_path, text)
    assert error.where.endswith(key)
    assert words in error.line()
    assert "\n" not in error.line()


def test_cli_reports_a_config_error_in_one_line_with_status_2(tmp_path):
    from tests.conftest import make_project, run_cli

    config = make_project(tmp_path)
    result = run_cli("generate", "--config", str(config), "--set", "model.epoch=3")
    assert result.returncode == 2
    assert result.stderr.strip() == "error: model.epoch: unknown key (did you mean epochs?)"
    assert "Traceback" not in result.stderr
