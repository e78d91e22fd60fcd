"""What reaches the terminal: one line for bad input, and nothing from TensorFlow's libraries
(every tiny build of conftest.build_tiny checks the latter for a normal run)."""

import re

from tests.conftest import library_lines, make_project, run_cli


def test_a_bad_setting_is_one_line(tmp_path):
    config = make_project(tmp_path)
    result = run_cli("build", "--config", str(config), "--set", "model.input_scale=0-3")
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        "error: model.input_scale: invalid value '0-3' (choose 0-1, -1-1, 0-255 or {mean: M, std: S})"]


def test_a_missing_data_file_is_one_line_after_tensorflow_loads(tmp_path):
    config = make_project(tmp_path)
    missing = ["--set", "data.format=fer2013-csv", "--set", "data.path=absent.csv"]
    quiet = run_cli("build", "--config", str(config), "--quiet", *missing)
    assert quiet.returncode == 2
    (line,) = quiet.stderr.splitlines()
    assert line.startswith(f"error: {tmp_path / 'absent.csv'}: no such file (")
    shown = run_cli("build", "--config", str(config), *missing)    # progress lines, then the error
    assert shown.returncode == 2
    first, *rest = shown.stderr.splitlines()
    assert re.fullmatch(r"\[1/\d+\] load data \.\.\.", first) and rest == [line]
    assert not (tmp_path / "site").exists()


def test_debug_keeps_tensorflows_own_lines(tmp_path):
    """The same failure with --debug: the library lines are there, so the quiet run really hid them."""
    config = make_project(tmp_path)
    result = run_cli("build", "--config", str(config), "--debug", "--set", "data.format=fer2013-csv",
                     "--set", "data.path=absent.csv")
    assert result.returncode == 2
    assert library_lines(result.stderr)
    assert result.stderr.splitlines()[-1].startswith("error: ")
