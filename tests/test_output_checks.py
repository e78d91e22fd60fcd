"""The class order and input scaling checked from the data: a model file whose outputs come in alphabetical
order (Keras' flow_from_directory) or that is fed the wrong scaling stops the build with one line naming the
key, both accuracies and the likely setting; the right settings pass and the Data and model page says so."""

import dataclasses
import itertools
import json

import numpy as np
import pytest

from generator.errors import UserError
from generator.sections.output_checks import SCALING_IMAGES
from generator.vocabulary import FER2013_CLASSES
from tests.conftest import SHARED_FER, TINY_SETTINGS, disable_op_determinism, make_project, read_facts, run_cli

ALPHABETICAL = sorted(FER2013_CLASSES)
IN_FILE = [FER2013_CLASSES.index(name) for name in ALPHABETICAL]   # file output j holds FER2013 class IN_FILE[j]


@pytest.fixture(scope="module")
def model_files(tiny_run, tmp_path_factory):
    """The tiny model saved as a user would: as trained, and with its outputs in alphabetical order."""
    import keras

    folder = tmp_path_factory.mktemp("models")
    trained = tiny_run.results.model.model.keras
    trained.save(folder / "right.keras")
    permuted = keras.models.clone_model(trained)
    permuted.set_weights(trained.get_weights())
    head = permuted.get_layer("predictions")
    head.set_weights([w[..., IN_FILE] for w in head.get_weights()])
    permuted.save(folder / "alphabetical.keras")
    return folder


@pytest.fixture(scope="module")
def test_split(tiny_run):
    """The evaluated split and the tiny model's probabilities on it, as trained (outputs in FER2013 order)."""
    model, split = tiny_run.results.model.model, tiny_run.results.data.dataset.test
    return split, model.predict(split.images)


def best_order_accuracy(labels, predictions, k=7) -> float:
    """Accuracy in the best order of the outputs, by trying all k! orders."""
    matrix = np.zeros((k, k), int)
    np.add.at(matrix, (labels, predictions), 1)
    return max(matrix[list(order), range(k)].sum() for order in itertools.permutations(range(k))) / len(labels)


def failed_build(project, *settings) -> str:
    """Build `project` with `settings`: exit status 2, docs/ and site/ as they were; the one line printed."""
    before = {p: p.read_bytes() for p in (project / "docs").rglob("*") if p.is_file()}
    site_before = (project / "site" / "index.html").read_bytes()
    args = [arg for s in (*TINY_SETTINGS, *settings) for arg in ("--set", s)]
    result = run_cli("build", "--config", str(project / "report.yml"), "--quiet", *args)
    assert result.returncode == 2, result.stderr
    assert {p: p.read_bytes() for p in (project / "docs").rglob("*") if p.is_file()} == before
    assert (project / "site" / "index.html").read_bytes() == site_before
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


def test_alphabetical_outputs_stop_the_build(tiny_project, model_files, test_split):
    split, probabilities = test_split
    configured = np.mean(probabilities[:, IN_FILE].argmax(axis=1) == split.labels)
    best = json.loads((tiny_project / "docs" / "facts.json").read_text())["accuracy"]
    assert best == round(best_order_accuracy(split.labels, probabilities.argmax(axis=1)), 4)
    line = failed_build(tiny_project, f"model.path={model_files / 'alphabetical.keras'}")
    assert line == ("error: classes: the model's outputs look like "
                    "[Angry, Disgust, Fear, Happy, Neutral, Sad, Surprise] "
                    f"({best:.1%} in that order, {configured:.1%} in the configured one) "
                    "(set model.classes to that list in report.yml, or model.check_classes: false to keep yours)")


@pytest.mark.parametrize("scale", ["0-255", "-1-1"])
def test_a_wrong_input_scale_stops_the_build(tiny_project, tiny_run, model_files, test_split, scale):
    split, probabilities = test_split
    assert len(split) <= SCALING_IMAGES                    # every evaluated image is tried
    wrong = dataclasses.replace(tiny_run.results.model.model, input_scale=scale).predict(split.images)
    # As the facts hold them: rounded to four places.
    right_accuracy = round(best_order_accuracy(split.labels, probabilities.argmax(axis=1)), 4)
    wrong_accuracy = round(best_order_accuracy(split.labels, wrong.argmax(axis=1)), 4)
    line = failed_build(tiny_project, f"model.path={model_files / 'right.keras'}", f"model.input_scale={scale}")
    assert line == (f'error: model.input_scale: the model looks trained on "0-1" inputs ({right_accuracy:.1%} '
                    f'accuracy with them, {wrong_accuracy:.1%} with the configured "{scale}", '
                    f'on {len(split)} evaluation images) '
                    '(set model.input_scale: "0-1" in report.yml, or model.check_scaling: false to keep yours)')


def evaluate(project, *settings):
    """The results of `project` with `settings`, through the evaluation, computed in this process."""
    from generator.config import load_config
    from generator.context import Paths
    from generator.pipeline import compute_results, open_run
    from generator.progress import Progress

    config = load_config(project / "report.yml", list(settings))
    try:
        with open_run(config, Paths(project), Progress(quiet=True)) as run:
            return compute_results(run, through="evaluation")
    finally:
        disable_op_determinism()


def test_the_order_the_error_names_makes_the_file_the_trained_model(tiny_project, tiny_run, model_files):
    file = f"model.path={model_files / 'alphabetical.keras'}"
    results = evaluate(tiny_project, *TINY_SETTINGS, file, f"model.classes=[{', '.join(ALPHABETICAL)}]")
    trained = tiny_run.results.model.model.keras.get_weights()
    for reordered, weights in zip(results.model.model.keras.get_weights(), trained, strict=True):
        np.testing.assert_array_equal(reordered, weights)                          # the trained model again
    assert results.model.facts["adaptations"] == ["outputs-reordered"]
    checks = results.evaluation.facts["checks"]
    assert checks["classes"]["verdict"] == "fits" and checks["classes"]["best_order"] == list(FER2013_CLASSES)
    wrong = [*ALPHABETICAL[:4], "Sad", "Neutral", "Surprise"]
    with pytest.raises(UserError) as caught:
        evaluate(tiny_project, *TINY_SETTINGS, file, f"model.classes=[{', '.join(wrong)}]")
    assert caught.value.where == "model.classes"
    assert caught.value.what.startswith(f"the model's outputs look like [{', '.join(ALPHABETICAL)}] (")


def test_the_tiny_report_says_what_was_checked(tiny_project):
    facts = read_facts(tiny_project)
    classes, scaling = facts["evaluation"]["checks"]["classes"], facts["evaluation"]["checks"]["scaling"]
    assert classes["verdict"] == scaling["verdict"] == "fits" and classes["enforced"] and scaling["enforced"]
    assert classes["configured_accuracy"] == classes["best_accuracy"] == facts["accuracy"]
    assert classes["best_order"] == facts["class_names"]
    assert classes["chance_accuracy"] < facts["accuracy"]
    assert [row["scale"] for row in scaling["tried"]] == ["0-1", "-1-1", "0-255"] and scaling["best"] == "0-1"
    assert scaling["configured_accuracy"] == scaling["tried"][0]["accuracy"] == facts["accuracy"]
    docs, n = tiny_project / "docs", facts["data"]["evaluated_size"]
    english = " ".join((docs / "data.en.md").read_text().split())
    accuracy, chance = (f"{100 * v:.1f}%" for v in (facts["accuracy"], classes["chance_accuracy"]))
    assert (f"the configured one (`classes`) fits the labels best: {accuracy} of the {n} test images are right in it, "
            f"against {chance} for the same predictions against shuffled labels.") in english
    assert f"Each input scaling was tried on {n} test images: `0-1` scores {accuracy}," in english
    assert "The configured `0-1` fits best." in english
    chinese = (docs / "data.zh-TW.md").read_text()
    assert (f"設定的順序（`classes`）最符合標籤：{n} 張測試集影像中有 {accuracy} 判斷正確，"
            f"同樣的預測配上打亂的標籤則只有 {chance}。") in chinese
    assert f"準確率為 `0-1` {accuracy}、" in chinese and "設定的 `0-1` 最符合資料。" in chinese


QUICK = ["trust.enabled=false", "methods.lime.num_samples=100", "methods.filters.steps=10",
         "methods.cams.class_mean_images=5", "methods.saliency.smooth_samples=4"]


@pytest.mark.slow
def test_with_the_check_off_the_build_goes_on_and_the_page_warns(tmp_path, shared_cache, model_files, test_split):
    split, probabilities = test_split
    config = make_project(tmp_path / "kept", shared_cache)
    args = [arg for s in (*TINY_SETTINGS, *QUICK, f"model.path={model_files / 'alphabetical.keras'}",
                          "model.check_classes=false") for arg in ("--set", s)]
    result = run_cli("build", "--config", str(config), "--quiet", *args)
    assert result.returncode == 0, result.stderr
    facts = read_facts(config.parent)
    classes = facts["evaluation"]["checks"]["classes"]
    assert classes["verdict"] == "mismatch" and not classes["enforced"] and classes["best_order"] == ALPHABETICAL
    assert facts["accuracy"] == classes["configured_accuracy"]
    assert facts["accuracy"] == round(float(np.mean(probabilities[:, IN_FILE].argmax(axis=1) == split.labels)), 4)
    english = (config.parent / "docs" / "data.en.md").read_text()
    assert '!!! warning "The class order looks wrong"' in english
    assert f"in the order `[{', '.join(ALPHABETICAL)}]`" in english
    chinese = (config.parent / "docs" / "data.zh-TW.md").read_text()
    assert f"模型的輸出若依 `[{', '.join(ALPHABETICAL)}]` 的順序對應類別" in chinese
    assert (config.parent / "site" / "data" / "index.html").exists()


@pytest.mark.slow
@pytest.mark.skipif(not SHARED_FER.is_dir(), reason="FER2013 samples (../shared/data/fer2013) not present")
def test_a_weak_model_on_real_faces_names_no_order(tmp_path, shared_cache):
    """Three epochs on 1,050 real FER2013 faces barely beat chance: its best order swaps classes at random, so
    neither its own outputs nor an alphabetical reordering of them may be judged, let alone stop the build."""
    from generator.analysis.output_fit import describe_output_fit, order_verdict

    project = make_project(tmp_path / "fer", shared_cache).parent
    results = evaluate(project, "data.format=fer2013-csv", f"data.path={SHARED_FER / 'fer2013-mini.csv'}",
                       "model.epochs=3")
    checks = results.evaluation.facts["checks"]
    assert checks["classes"]["verdict"] == checks["scaling"]["verdict"] == "unjudged"
    split, probabilities = results.data.dataset.evaluation, results.evaluation.probabilities
    permuted = describe_output_fit(split.labels, probabilities[:, IN_FILE].argmax(axis=1), 7, seed=0)
    assert order_verdict(permuted) == "unjudged"
