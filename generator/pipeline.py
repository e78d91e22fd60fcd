"""The ordered steps of a run: data -> model -> explanations -> facts -> pages -> site."""

from __future__ import annotations

import json
import platform
from importlib import metadata
from pathlib import Path

from generator.cache import StepCache
from generator.config import Config
from generator.context import Paths, Run
from generator.errors import UserError
from generator.output import Staging, build_site, publish_docs
from generator.pages import languages_of, load_notes, page_filename, render_pages
from generator.progress import Progress
from generator.sections.cams import run_cams
from generator.sections.dataset import run_dataset
from generator.sections.evaluation import run_evaluation
from generator.sections.filters import run_filters
from generator.sections.findings import describe_all_flags
from generator.sections.model import run_model
from generator.sections.saliency import run_saliency
from generator.sections.samples import run_samples
from generator.sections.superpixels import run_lime
from generator.sections.trust import run_trust

BENCHMARK_RESULTS = Path("benchmarks") / "results.json"
LIBRARIES = ("tensorflow-cpu", "tensorflow", "keras", "tf-keras-vis", "lime", "numpy", "matplotlib",
             "jinja2", "mkdocs", "mkdocs-material", "mkdocs-static-i18n")


def generate(config: Config, paths: Paths, progress: Progress, with_site: bool,
             unsafe_model: bool = False) -> dict:
    """Compute everything, render pages; with `with_site`, build the site too.

    Nothing in docs/ or site/ changes unless every step succeeds.
    """
    _seed_everything(config.seed)
    cache = StepCache(paths.root / config.cache)
    run = Run(config, paths, cache, progress, Staging(cache.root / "staging"), unsafe_model)
    try:
        facts = collect_facts(run)
        about = _about_run(run)
        with progress.stage("render pages"):
            _stage_pages(run, facts, about, paths)
        if with_site:
            with progress.stage("build site"):
                build_site(run.staging, paths.docs, paths.mkdocs_yml, paths.site)
        run.staging.write("run.json", json.dumps(_ledger(run, about), indent=2))
        counts = publish_docs(run.staging, paths.docs)
    finally:
        run.staging.discard()
    progress.say(f"docs/: {counts['written']} files written, {counts['unchanged']} unchanged, "
                 f"{counts['removed']} removed")
    return facts


def collect_facts(run: Run) -> dict:
    """Every section's facts, in page order; facts.json holds exactly this."""
    config = run.config
    facts = {"class_names": list(config.classes), "seed": config.seed}
    facts["data"] = run_dataset(run)
    facts["model"] = run_model(run)
    evaluation = run_evaluation(run)
    facts["evaluation"] = evaluation
    facts["accuracy"] = evaluation["accuracy"]
    facts["per_class_accuracy"] = evaluation["per_class_accuracy"]
    facts["confusion_matrix"] = evaluation["matrix"]
    facts["samples"] = run_samples(run)
    facts["saliency"] = run_saliency(run)
    facts["filters"] = run_filters(run)
    facts["lime"] = run_lime(run)
    facts["cams"] = run_cams(run)
    facts["trust"] = run_trust(run)
    facts["flags"] = describe_all_flags(facts)
    return facts


def _stage_pages(run: Run, facts: dict, about: dict, paths: Paths) -> None:
    run.staging.write("facts.json", json.dumps(facts, indent=2, sort_keys=True, ensure_ascii=False))
    ledger = _ledger(run, about)
    for lang, _ in languages_of(paths.mkdocs_yml):
        notes = load_notes(paths.root / run.config.notes, lang)
        for page, text in render_pages(facts, ledger, lang, notes).items():
            run.staging.write(page_filename(page, lang), text)


def _ledger(run: Run, about: dict) -> dict:
    """run.json: what varies from run to run (times, cache hits), kept out of facts.json."""
    return {"stages": run.progress.ledger(), **about}


def _about_run(run: Run) -> dict:
    """The parts of run.json fixed once the facts are collected (the stages still grow)."""
    return {"config": run.config.to_dict(), "environment": _environment(), "digests": _digests(run),
            "benchmarks": load_benchmark_summary(run.paths.root)}


def load_benchmark_summary(root: Path) -> dict | None:
    """The summary of benchmarks/results.json (written by `make bench`), if the project has one."""
    path = root / BENCHMARK_RESULTS
    if not path.is_file():
        return None
    try:
        results = json.loads(path.read_text(encoding="utf-8"))
        return {"when": results["when"], "quick": bool(results["quick"]), "cpus": results["host"]["cpus"],
                "load_average": results["host"]["load_average_start"][0],
                "summary": [{key: row[key] for key in ("benchmark", "measure", "result", "compared_with",
                                                        "ratio", "kind")} for row in results["summary"]]}
    except (ValueError, KeyError, TypeError, IndexError):
        raise UserError(path, "not a results file of make bench", "run make bench again, or delete it") from None


def _digests(run: Run) -> dict:
    from generator.cache import digest

    data = run.results.get("data")
    model = run.results.get("model")
    return {"data": digest(data)[:16] if data is not None else None,
            "model": model.model_id[:16] if model is not None else None}


def _environment() -> dict:
    versions = {"python": platform.python_version()}
    for name in LIBRARIES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return versions


def _seed_everything(seed: int) -> None:
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
