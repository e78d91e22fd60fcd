"""The ordered steps of a run: data -> model -> explanations -> facts -> pages -> site."""

from __future__ import annotations

import glob
import json
import platform
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from generator.cache import StepCache, digest, files_of, installed_packages
from generator.config import Config
from generator.context import Paths, Run
from generator.errors import UserError
from generator.output import Staging, build_site, publish_docs
from generator.pages import languages_of, load_notes, page_filename, render_pages
from generator.progress import Progress
from generator.results import Results

BENCHMARK_RESULTS = Path("benchmarks") / "results.json"
SITE_RECORD = Path("site") / "inputs.json"   # in the cache: what the last site build was made from
RESULTS_STEP_VERSION = 2   # a whole run's facts and figures (see generate)
CODE = Path(__file__).resolve().parent
LIBRARIES = ("tensorflow-cpu", "tensorflow", "keras", "tf-keras-vis", "lime", "numpy", "matplotlib",
             "jinja2", "mkdocs", "mkdocs-material", "mkdocs-static-i18n")


def sections() -> tuple:
    """Each section, in order: the field of Results it writes, its function, and how many stages it
    reports (run or skipped); a section reads the ones before it. Imported only by a run that
    computes (one served whole from the cache needs none of them, nor TensorFlow or matplotlib)."""
    from generator.sections.cams import run_cams
    from generator.sections.class_maps import run_class_maps
    from generator.sections.dataset import run_dataset
    from generator.sections.evaluation import run_evaluation
    from generator.sections.filters import run_filters
    from generator.sections.lime_explanations import run_lime
    from generator.sections.mistakes import run_mistakes
    from generator.sections.model import run_model
    from generator.sections.saliency import run_saliency
    from generator.sections.samples import run_samples
    from generator.sections.trust import run_trust

    return (("data", run_dataset, 1), ("model", run_model, 1), ("evaluation", run_evaluation, 1),
            ("samples", run_samples, 1), ("class_maps", run_class_maps, 1), ("saliency", run_saliency, 1),
            ("filters", run_filters, 1), ("lime", run_lime, 1), ("cams", run_cams, 1),
            ("confusions", run_mistakes, 1), ("trust", run_trust, 2))


@contextmanager
def open_run(config: Config, paths: Paths, progress: Progress, unsafe_model: bool = False,
             seed: bool = True) -> Iterator[Run]:
    """A run of `config`: seeded (unless `seed` is off: then `seed_everything` before computing),
    with its step cache and a staging folder removed at the end."""
    if seed:
        seed_everything(config.seed)
    cache = StepCache(paths.root / config.cache)
    run = Run(config, paths, cache, progress, Staging(cache.root / "staging"), unsafe_model)
    try:
        yield run
    finally:
        run.staging.discard()


def compute_results(run: Run, through: str = "trust") -> Results:
    """Every section's result in order, up to and including section `through`."""
    results = Results()
    for name, section, _ in sections():
        results = results.with_result(name, section(run, results))
        if name == through:
            break
    return results


def section_stages(through: str = "trust") -> int:
    """How many stages the sections up to and including `through` report."""
    names = [name for name, _, _ in sections()]
    return sum(stages for _, _, stages in sections()[:names.index(through) + 1])


@dataclass(frozen=True)
class ComputedRun:
    """What a run's sections produced for its pages: the facts, the digests of its data and model,
    its stages' records (name, seconds, cache hit, model calls) and the figures it staged
    (docs-relative path -> bytes)."""

    facts: dict
    digests: dict
    stages: tuple[dict, ...]
    files: dict


def generate(config: Config, paths: Paths, progress: Progress, with_site: bool,
             unsafe_model: bool = False, before_computing: Callable[[], None] | None = None) -> dict:
    """Compute everything, render pages; with `with_site`, build the site too; return the facts.

    A run whose inputs (see `run_inputs`) are those of an earlier run takes that run's facts and
    figures from the cache and computes nothing (TensorFlow is not even imported); otherwise
    `before_computing` is called, then every section runs with its steps' own cache. Nothing in
    docs/ or site/ changes unless every step succeeds.
    """
    with open_run(config, paths, progress, unsafe_model, seed=False) as run:
        inputs = run_inputs(config, paths, unsafe_model)
        found, computed = run.cache.get("results", RESULTS_STEP_VERSION, inputs)
        if found:
            progress.plan(len(computed.stages) + (2 if with_site else 1))
            _replay(run, computed)
        else:
            progress.plan(section_stages() + (2 if with_site else 1))   # the sections, render pages, build site
            if before_computing is not None:
                before_computing()
            computed = _compute(run)
            run.cache.put("results", RESULTS_STEP_VERSION, inputs, computed)
        about = _about_run(run, computed)
        with progress.stage("render pages"):
            _stage_pages(run, computed.facts, about, paths)
        if with_site:
            with progress.stage("build site") as record:
                record.note_cache(not build_site(run.staging, paths.docs, paths.mkdocs_yml, paths.site,
                                                 run.cache.root / SITE_RECORD))
        run.staging.write("run.json", json.dumps(_ledger(run, about), indent=2))
        counts = publish_docs(run.staging, paths.docs)
    progress.say(f"docs/: {counts['written']} files written, {counts['unchanged']} unchanged, "
                 f"{counts['removed']} removed")
    return computed.facts


def _compute(run: Run) -> ComputedRun:
    """Every section, seeded; what the pages need of them."""
    seed_everything(run.config.seed)
    results = compute_results(run)
    digests = {"data": digest(results.data.dataset)[:16], "model": results.model.model.model_id[:16]}
    files = {name: (run.staging.path / name).read_bytes() for name in sorted(run.staging.files)}
    return ComputedRun(collect_facts(results, run.config), digests, tuple(run.progress.ledger()), files)


def _replay(run: Run, computed: ComputedRun) -> None:
    """A computed run's stages, each served from the cache, and its figures staged again."""
    for stage in computed.stages:
        with run.progress.stage(stage["name"]) as record:
            record.note_cache(True)
    for name, content in computed.files.items():
        run.staging.write(name, content)


def run_inputs(config: Config, paths: Paths, unsafe_model: bool) -> tuple:
    """Everything a run's results depend on: the settings, the data and model files, the
    generator's code and the installed packages (with their versions) and Python."""
    root = paths.root
    data = config.data.path and root / config.data.path
    return (config.to_dict(), unsafe_model, files_of(data), _model_files(root, config.model), _code(),
            installed_packages(), sys.version)


def _model_files(root: Path, settings) -> list:
    """The model file and the files beside it of the same stem (its weights), by name and content."""
    if settings.path is None:
        return []
    path = root / settings.path
    named = [path] + ([root / settings.weights] if settings.weights else [])
    beside = sorted(path.parent.glob(glob.escape(path.name.split(".")[0]) + ".*")) if path.parent.is_dir() else []
    return [(p.name, p) for p in dict.fromkeys(named + beside) if p.is_file()]


def _code() -> list:
    """Every file of the generator package, by name and content."""
    return [(p.relative_to(CODE).as_posix(), p) for p in sorted(CODE.rglob("*"))
            if p.is_file() and "__pycache__" not in p.parts]


def collect_facts(results: Results, config: Config) -> dict:
    """Every section's facts, in page order; facts.json holds exactly this (see facts.schema.json)."""
    from generator.analysis.regions import region_rule
    from generator.sections.findings import describe_all_flags

    evaluation = results.evaluation.facts
    return {
        "class_names": list(config.classes),
        "seed": config.seed,
        "data": results.data.facts,
        "model": results.model.facts,
        "evaluation": evaluation,
        "accuracy": evaluation["accuracy"],
        "per_class_accuracy": evaluation["per_class_accuracy"],
        "confusion_matrix": evaluation["matrix"],
        "samples": results.samples.facts,
        "class_maps": results.class_maps.facts,
        "saliency": results.saliency.facts,
        "filters": results.filters.facts,
        "lime": results.lime.facts,
        "cams": results.cams.facts,
        "confusions": results.confusions.facts,
        "trust": results.trust.facts,
        "flags": describe_all_flags(results),
        "region_rule": region_rule(),
    }


def _stage_pages(run: Run, facts: dict, about: dict, paths: Paths) -> None:
    run.staging.write("facts.json", json.dumps(facts, indent=2, sort_keys=True, ensure_ascii=False))
    ledger = _ledger(run, about)
    for lang, _ in languages_of(paths.mkdocs_yml):
        notes = load_notes(paths.root / run.config.notes, lang)
        for page, text in render_pages(facts, ledger, lang, notes).items():
            run.staging.write(page_filename(page, lang), text)


def _ledger(run: Run, about: dict) -> dict:
    """run.json: what varies from run to run (times, cache hits), kept out of facts.json: this run's
    stages, and those of the run that computed its results (the same run, unless it found them all
    in the cache)."""
    return {"stages": run.progress.ledger(), **about}


def _about_run(run: Run, computed: ComputedRun) -> dict:
    """The parts of run.json fixed once the facts are collected (the stages still grow). The pages
    show `computed_stages`, so a rebuild served whole from the cache leaves them as they were."""
    return {"config": run.config.to_dict(), "environment": _environment(), "digests": computed.digests,
            "computed_stages": list(computed.stages), "benchmarks": load_benchmark_summary(run.paths.root)}


def load_benchmark_summary(root: Path) -> dict | None:
    """The summary of benchmarks/results.json (written by `make bench`), if the project has one."""
    path = root / BENCHMARK_RESULTS
    if not path.is_file():
        return None
    try:
        written = json.loads(path.read_text(encoding="utf-8"))
        return {"when": written["when"], "quick": bool(written["quick"]), "cpus": written["host"]["cpus"],
                "load_average": written["host"]["load_average_start"][0],
                "summary": [{key: row[key] for key in ("benchmark", "measure", "result", "compared_with",
                                                        "ratio", "kind")} for row in written["summary"]]}
    except (ValueError, KeyError, TypeError, IndexError):
        raise UserError(path, "not a results file of make bench", "run make bench again, or delete it") from None


def _environment() -> dict:
    versions = {"python": platform.python_version()}
    for name in LIBRARIES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return versions


def seed_everything(seed: int) -> None:
    """Seed Python, NumPy and TensorFlow, and make TensorFlow's ops deterministic."""
    import keras
    import tensorflow as tf

    keras.utils.set_random_seed(seed)
    tf.config.experimental.enable_op_determinism()


def clean(paths: Paths, config: Config) -> None:
    """Empty the step cache and remove generated pages and figures (hand-written files stay)."""
    from generator.output import MANIFEST, generated_files

    StepCache(paths.root / config.cache).clear()
    for relative in generated_files(paths.docs):
        (paths.docs / relative).unlink(missing_ok=True)
    (paths.docs / MANIFEST).unlink(missing_ok=True)
    for folder in sorted((p for p in paths.docs.rglob("*") if p.is_dir()), reverse=True):
        if not any(folder.iterdir()):
            folder.rmdir()


def project_paths(config_path: Path) -> Paths:
    return Paths(config_path.resolve().parent)
