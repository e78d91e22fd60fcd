"""Step cache in a whole run: cached steps are not called again, and only what a change touches is recomputed.

The pipeline runs in-process on a tiny synthetic project; the compute functions
are wrapped where the sections import them, so the tests count real calls.
"""

from __future__ import annotations

import importlib
import json
import shutil
from collections import Counter
from pathlib import Path

import pytest

from generator.cache import StepCache
from generator.model.folding import PIXEL_BUDGET
from generator.sections.output_checks import SCALING_IMAGES
from tests.conftest import disable_op_determinism, make_project, run_cli

pytestmark = pytest.mark.slow

# Tiny: one cold run takes well under a minute on 2 cores.
SETTINGS = ["data.synthetic.per_class=30", "model.epochs=2", "methods.lime.num_samples=100",
            "methods.filters.steps=10", "methods.saliency.smooth_samples=4", "methods.cams.class_mean_images=5"]

# Each compute function where the pipeline looks it up (the name a section imported).
WATCHED = {
    "load_dataset": "generator.sections.dataset.load_dataset",
    "train_model": "generator.model.training.train_model",
    "compute_saliency": "generator.explain.methods.compute_saliency",
    "compute_smoothgrad": "generator.explain.methods.compute_smoothgrad",
    "compute_filter_patterns": "generator.sections.filters.compute_filter_patterns",
    "compute_feature_maps": "generator.sections.filters.compute_feature_maps",
    "compute_lime": "generator.sections.lime_explanations.compute_lime",
    "compute_cam": "generator.explain.methods.compute_cam",
    "compute_class_mean_cams": "generator.sections.cams.compute_class_mean_cams",
    "draw figure": "generator.context.figure_png",
}
# Cache steps that come before LIME or do not depend on it.
NOT_LIME_STEPS = {"data", "model", "predict", "saliency", "filters", "feature_maps", "cams", "class_mean_cams"}
NOT_LIME_FIGURES = {"sample_grid", "class_counts", "regions", "training_curves", "confusion", "samples",
                    "saliency", "filter_patterns", "feature_maps", "cams", "class_mean_cams"}


class Watch:
    """Counts of wrapped function calls, and of cache misses per step (figures by name)."""

    def __init__(self):
        self.calls: Counter = Counter()
        self.steps: Counter = Counter()
        self.figures: Counter = Counter()


class _Stop(Exception):
    """Ends a run as soon as the step under test has been called."""


def watch(monkeypatch, stop_at: str | None = None) -> Watch:
    seen = Watch()
    for name, target in WATCHED.items():
        module, attribute = target.rsplit(".", 1)
        monkeypatch.setattr(target, _counting(getattr(importlib.import_module(module), attribute), name,
                                              seen.calls, stop=name == stop_at))
    original_run = StepCache.run

    def run(self, step, version, inputs, compute, *args, **kwargs):
        def counted():
            seen.steps[step] += 1
            if step == "figure":
                seen.figures[inputs[0]] += 1
            return compute()
        return original_run(self, step, version, inputs, counted, *args, **kwargs)

    monkeypatch.setattr(StepCache, "run", run)
    return seen


def _counting(function, name: str, counter: Counter, stop: bool):
    def wrapper(*args, **kwargs):
        counter[name] += 1
        if stop:
            raise _Stop(name)
        return function(*args, **kwargs)
    return wrapper


def generate(config_path: Path, *extra: str) -> dict:
    """One in-process run (pages into docs/, no site); returns docs/run.json."""
    from generator.config import load_config
    from generator.context import Paths
    from generator.pipeline import generate as run_pipeline
    from generator.progress import Progress

    config = load_config(config_path, [*SETTINGS, *extra])
    run_pipeline(config, Paths(config_path.parent), Progress(quiet=True), with_site=False)
    return json.loads((config_path.parent / "docs" / "run.json").read_text())


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    """A tiny project and its cache after one cold run, checked to have called every watched step."""
    folder = tmp_path_factory.mktemp("caching")
    config = make_project(folder / "project", folder / "cache")
    try:
        with pytest.MonkeyPatch.context() as monkeypatch:
            seen = watch(monkeypatch)
            ledger = generate(config)
        # The wrappers sit where the pipeline calls: on a cold run each is called.
        assert set(seen.calls) == set(WATCHED), set(WATCHED) - set(seen.calls)
        assert seen.calls["train_model"] == 1 and seen.calls["compute_lime"] == 1
        assert seen.figures["lime"] == 1 and seen.steps["model"] == 1
        assert not any(stage["cached"] for stage in ledger["stages"])
        shutil.copytree(config.parent / "docs", folder / "cold-docs")   # what the cold run wrote
        yield config
    finally:
        disable_op_determinism()


def _pages(docs: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in docs.glob("*.md") if not p.name.startswith("reproducibility")}


def test_a_rerun_with_nothing_changed_calls_no_step(project, monkeypatch):
    docs = project.parent / "docs"
    before = _pages(docs)
    reproducibility = {p.name: p.read_bytes() for p in docs.glob("reproducibility.*.md")}
    seen = watch(monkeypatch)
    ledger = generate(project)
    assert seen.calls == Counter() and seen.steps == Counter()
    stages = ledger["stages"]
    assert [s["name"] for s in stages][:2] == ["load data", "train model"]
    for stage in stages:
        assert stage["cache_misses"] == 0 and stage["model_images"] == 0, stage
        if stage["name"] != "render pages":   # the only stage with no cached step
            assert stage["cached"] and stage["cache_hits"] > 0, stage
    assert _pages(docs) == before
    # It shows the stages of the run that computed the results, so it is unchanged too.
    assert reproducibility and {p.name: p.read_bytes() for p in docs.glob("reproducibility.*.md")} == reproducibility


def test_changed_notes_rerender_pages_and_compute_nothing(project, monkeypatch):
    notes = project.parent / "notes" / "en.md"
    original = notes.read_text()
    notes.write_text(original + "\n# filters\nRow 4, column 1 looks like a diagonal stripe detector.\n")
    try:
        seen = watch(monkeypatch)
        generate(project)
    finally:
        notes.write_text(original)
    assert seen.calls == Counter() and seen.steps == Counter()
    page = (project.parent / "docs" / "filters.en.md").read_text()
    assert page.rstrip().endswith("Row 4, column 1 looks like a diagonal stripe detector.")


def test_a_changed_template_rerenders_pages_and_computes_nothing(project, monkeypatch, tmp_path):
    import generator.pages

    templates = tmp_path / "templates"
    shutil.copytree(generator.pages.TEMPLATES, templates)
    with (templates / "en" / "lime.md.j2").open("a", encoding="utf-8") as handle:
        handle.write("\nTemplate edited: {{ facts.lime.settings.num_samples }} samples.\n")
    monkeypatch.setattr(generator.pages, "TEMPLATES", templates)
    seen = watch(monkeypatch)
    generate(project)
    assert seen.calls == Counter() and seen.steps == Counter()
    assert (project.parent / "docs" / "lime.en.md").read_text().rstrip().endswith("Template edited: 100 samples.")
    assert "Template edited" not in (project.parent / "docs" / "lime.zh-TW.md").read_text()


def test_changing_lime_samples_recomputes_lime_and_nothing_before_it(project, monkeypatch):
    seen = watch(monkeypatch)
    ledger = generate(project, "methods.lime.num_samples=60")
    assert seen.calls["compute_lime"] == 1
    assert seen.figures["lime"] == 1
    assert set(seen.calls) == {"compute_lime", "draw figure"}, seen.calls
    assert not set(seen.steps) & NOT_LIME_STEPS, seen.steps
    assert "trust_maps" not in seen.steps   # section 5's gradient and CAM maps do not involve LIME
    assert not set(seen.figures) & NOT_LIME_FIGURES, seen.figures
    stages = {s["name"]: s for s in ledger["stages"]}
    assert stages["LIME"]["cache_misses"] == 2 and not stages["LIME"]["cached"]
    assert stages["LIME"]["model_images"] >= 7 * 60
    for name in ("load data", "train model", "evaluate", "choose samples", "saliency maps", "filter patterns",
                 "Grad-CAM and relatives"):
        assert stages[name]["cached"] and stages[name]["cache_misses"] == 0, name
    facts = json.loads((project.parent / "docs" / "facts.json").read_text())
    assert facts["lime"]["settings"]["num_samples"] == 60


def test_lime_colours_redraw_the_lime_figures_and_compute_nothing(project, monkeypatch):
    """The LIME figure and each mistakes figure (LIME tints beside Grad-CAM) are redrawn."""
    seen = watch(monkeypatch)
    generate(project, "figures.lime_colours=green-red")
    docs = project.parent / "docs"
    mistakes = {Path(pair["figures"]["maps"]).stem
                for pair in json.loads((docs / "facts.json").read_text())["confusions"]["pairs"]}
    assert mistakes and seen.calls == Counter({"draw figure": 1 + len(mistakes)})
    assert set(seen.steps) == {"figure"} and set(seen.figures) == {"lime"} | mistakes, (seen.steps, seen.figures)
    assert json.loads((docs / "facts.json").read_text())["lime"]["colours"] == "green-red"
    assert "raises (green) or lowers (red) the probability" in (docs / "lime.en.md").read_text()
    assert "提高（綠色）或降低（紅色）" in (docs / "lime.zh-TW.md").read_text()


def test_clean_empties_the_cache_so_the_next_run_trains_again(project, monkeypatch, tmp_path):
    cache = tmp_path / "cache"
    shutil.copytree(project.parent.parent / "cache", cache)
    config = make_project(tmp_path / "project", cache)
    seen = watch(monkeypatch)
    generate(config)
    assert seen.calls == Counter() and seen.steps == Counter()   # the copied cache serves every step
    docs = config.parent / "docs"
    assert (docs / "facts.json").is_file()

    result = run_cli("clean", "--config", str(config))
    assert result.returncode == 0, result.stderr
    assert not cache.exists() or not any(cache.iterdir())
    assets = {p.relative_to(docs).as_posix() for p in (docs / "assets").rglob("*") if p.is_file()}
    assert assets and {p.relative_to(docs).as_posix() for p in docs.rglob("*") if p.is_file()} == assets
    assert not (docs / "figures").exists()   # generated pages and figures gone, hand-written assets kept

    seen = watch(monkeypatch, stop_at="train_model")
    with pytest.raises(_Stop):
        generate(config)
    assert seen.calls["load_dataset"] == 1 and seen.calls["train_model"] == 1
    assert seen.steps["data"] == 1 and seen.steps["model"] == 1


def test_trust_thresholds_change_verdicts_and_flags_without_recomputing(project, monkeypatch):
    seen = watch(monkeypatch)
    generate(project, "trust.sanity_threshold=-0.99", "trust.low_localisation=1.0", "trust.agreement_threshold=1.0")
    assert seen.calls == Counter({"draw figure": 1})   # the threshold line of the randomisation plot
    assert set(seen.steps) == {"figure"} and set(seen.figures) == {"trust_randomisation"}, (seen.steps, seen.figures)
    trust = json.loads((project.parent / "docs" / "facts.json").read_text())["trust"]
    # No method's maps fall below -0.99 rank correlation with themselves, so all fail.
    assert not any(m["sanity_passed"] for m in trust["methods"].values())
    text = (project.parent / "docs" / "trust.en.md").read_text()
    assert "Saliency, Score-CAM and SmoothGrad fail the check**" in text and "Every method's maps change" not in text
    # Every class below the others' mean localisation is flagged, and nothing else.
    lows = {(f["method"], f["class"]) for f in trust["flags"]}
    for method, by_class in trust["localisation_by_class"].items():
        for cls, lift in by_class.items():
            others = [v for c, v in by_class.items() if c != cls and v is not None]
            below = lift is not None and lift < sum(others) / len(others)
            assert ((method, cls) in lows) == below, (method, cls)
    assert trust["agreement"]["disagreeing"]   # mean correlations are below 1


def test_each_stage_records_the_model_calls_it_made(project):
    docs = project.parent.parent / "cold-docs"
    facts = json.loads((docs / "facts.json").read_text())
    stages = {s["name"]: s for s in json.loads((docs / "run.json").read_text())["stages"]}
    sizes, epochs = facts["data"]["split_sizes"], facts["model"]["training"]["epochs_run"]
    batches = lambda n, size: -(-n // size)  # noqa: E731
    # Training: one call per batch of 32, training and validation images, every epoch run.
    assert stages["train model"]["model_calls"] == epochs * (batches(sizes["train"], 32)
                                                             + batches(sizes["validation"], 32))
    assert stages["train model"]["model_images"] == epochs * (sizes["train"] + sizes["validation"])
    evaluated = facts["data"]["evaluated_size"]
    # Evaluation: every evaluated image, then up to SCALING_IMAGES of them with each of the two other scalings,
    # PIXEL_BUDGET input values a call.
    tried, per_call = min(evaluated, SCALING_IMAGES), PIXEL_BUDGET // (48 * 48)
    assert (stages["evaluate"]["model_calls"], stages["evaluate"]["model_images"]) == (
        batches(evaluated, per_call) + 2 * batches(tried, per_call), evaluated + 2 * tried)
    # LIME: 100 perturbed copies of each explained image, all in one call; the 7 samples' copies also
    # go through the model after each judged stage of the randomisation check (section 5's LIME maps).
    explained = 7 * (1 + len(facts["trust"]["stages"])) + len(facts["lime"]["explained_for_predicted"])
    assert (stages["LIME"]["model_calls"], stages["LIME"]["model_images"]) == (explained, explained * 100)
    # One gradient call for the 7 images, one for their 4 noisy copies each (SmoothGrad).
    assert (stages["saliency maps"]["model_calls"], stages["saliency maps"]["model_images"]) == (2, 7 + 7 * 4)
    assert all(stage["model_calls"] > 0 for name, stage in stages.items()
               if name not in ("load data", "render pages", "build site"))
