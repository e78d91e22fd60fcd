"""The Reproducibility page: this run's stages and the benchmark results of `make bench`."""

from __future__ import annotations

import json

import pytest

from generator.errors import UserError
from generator.pages import render_pages
from generator.pipeline import BENCHMARK_RESULTS, load_benchmark_summary

RESULTS = {
    "when": "2026-11-29T10:00:00+00:00", "quick": False,
    "host": {"cpus": 2, "python": "3.11.7", "platform": "Linux", "load_average_start": [0.42, 0.5, 0.6],
             "load_average_end": [1.0, 1.0, 1.0]},
    "benchmarks": {},
    "summary": [
        {"benchmark": "build", "measure": "cold", "result": "126.8 s", "compared_with": "budget 180 s",
         "ratio": 0.7044, "kind": "budget", "verdict": "0.70 of budget"},
        {"benchmark": "build", "measure": "warm", "result": "15.5 s", "compared_with": "budget 15 s",
         "ratio": 1.0333, "kind": "budget", "verdict": "1.03 of budget  OVER"},
        {"benchmark": "csv", "measure": "product loader, 35887 rows", "result": "2.80 s",
         "compared_with": "csv + str.split loop 35.40 s", "ratio": 12.64, "kind": "faster", "verdict": "12.6x faster"},
        {"benchmark": "trust", "measure": "result", "result": "total_s 1.00", "compared_with": "", "ratio": None,
         "kind": "", "verdict": ""},
    ],
}


def test_a_project_without_results_has_none(tmp_path):
    assert load_benchmark_summary(tmp_path) is None


def test_the_page_shows_each_result_with_its_ratio(tmp_path, tiny_project):
    (tmp_path / BENCHMARK_RESULTS).parent.mkdir()
    (tmp_path / BENCHMARK_RESULTS).write_text(json.dumps(RESULTS))
    docs = tiny_project / "docs"
    facts = json.loads((docs / "facts.json").read_text())
    run = json.loads((docs / "run.json").read_text()) | {"benchmarks": load_benchmark_summary(tmp_path)}
    en = render_pages(facts, run, "en", {})["reproducibility"]
    assert "on 2 CPUs (load average 0.4 at the start)" in en
    assert "| build | cold | 126.8 s | budget 180 s | 0.70 of the budget |" in en
    assert "| build | warm | 15.5 s | budget 15 s | 1.03 of the budget (over) |" in en
    assert "| csv | product loader, 35887 rows | 2.80 s | csv + str.split loop 35.40 s | 12.6× faster |" in en
    assert "| trust | result | total_s 1.00 |  |  |" in en
    zh = render_pages(facts, run, "zh-TW", {})["reproducibility"]
    assert "| `build` | `cold` | `126.8 s` | `budget 180 s` | 預算的 0.70 |" in zh
    assert "預算的 1.03（超出）" in zh and "快 12.6 倍" in zh


def test_without_results_the_page_says_how_to_get_them(tiny_project):
    assert "No benchmark results yet: `make bench`" in (tiny_project / "docs" / "reproducibility.en.md").read_text()
    assert "尚無效能基準結果" in (tiny_project / "docs" / "reproducibility.zh-TW.md").read_text()


@pytest.mark.parametrize("text", ["{not json", json.dumps({"when": "today"}), "[]"])
def test_a_broken_results_file_is_named(tmp_path, text):
    (tmp_path / BENCHMARK_RESULTS).parent.mkdir()
    (tmp_path / BENCHMARK_RESULTS).write_text(text)
    with pytest.raises(UserError) as caught:
        load_benchmark_summary(tmp_path)
    assert str(BENCHMARK_RESULTS) in caught.value.line() and "make bench" in caught.value.line()
