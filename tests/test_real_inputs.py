"""Real inputs end to end: FER2013 in the Kaggle CSV, and a user's own Keras 2 model file."""

import pytest

from tests.conftest import REPO, SHARED_FER, library_lines, make_project, read_facts, run_cli

pytestmark = pytest.mark.slow


def build(config, *settings):
    args = ["build", "--config", str(config), "--quiet"]
    for setting in settings:
        args += ["--set", setting]
    return run_cli(*args)


def figures_of(project):
    return sorted(p.name for p in (project / "docs" / "figures").iterdir())


@pytest.mark.skipif(not SHARED_FER.is_dir(), reason="FER2013 samples (../shared/data/fer2013) not present")
def test_a_report_builds_on_real_fer2013_faces(tmp_path, shared_cache):
    config = make_project(tmp_path / "fer", shared_cache)
    result = build(config, "data.format=fer2013-csv", f"data.path={SHARED_FER / 'fer2013-mini.csv'}",
                   "model.epochs=3", "methods.lime.num_samples=300", "methods.filters.steps=30")
    assert result.returncode == 0, result.stderr
    facts = read_facts(config.parent)
    assert facts["data"]["source"] == "fer2013-csv"
    assert facts["data"]["evaluated_label"] == "PrivateTest"
    assert facts["data"]["evaluated_size"] == 210
    assert facts["data"]["counts"]["train"] == {name: 150 for name in facts["class_names"]}
    assert {"saliency.png", "filter_patterns.png", "lime.png", "cams.png"} <= set(figures_of(config.parent))
    assert "PrivateTest" in (config.parent / "docs" / "data.zh-TW.md").read_text()


def test_a_keras2_mini_xception_file_gets_every_figure(tmp_path, shared_cache):
    model_file = REPO / "tests" / "fixtures" / "mini_xception_k2.h5"
    before = model_file.read_bytes()
    config = make_project(tmp_path / "own", shared_cache)
    result = build(config, "data.synthetic.per_class=20", f"model.path={model_file}",
                   "methods.lime.num_samples=200", "methods.filters.steps=20")
    assert result.returncode == 0, result.stderr
    facts = read_facts(config.parent)
    assert facts["model"]["source"] == "file"
    assert facts["model"]["input_shape"] == [64, 64, 1]
    assert "resized" in facts["model"]["adaptations"]
    assert facts["filters"]["available"] and facts["cams"]["available"]
    assert {"saliency.png", "filter_patterns.png", "feature_maps.png", "lime.png", "cams.png",
            "class_mean_cams.png"} <= set(figures_of(config.parent))
    assert "training_curves.png" not in figures_of(config.parent)
    assert model_file.read_bytes() == before


def test_a_model_with_a_lambda_layer_is_refused_unless_allowed(tmp_path, shared_cache):
    config = make_project(tmp_path / "lambda", shared_cache)
    model_file = REPO / "tests" / "fixtures" / "lambda.keras"
    result = build(config, "data.synthetic.per_class=10", f"model.path={model_file}")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1].startswith(f"error: {model_file}: ")
    assert "--unsafe-model" in result.stderr
    assert not (config.parent / "site").exists()


def test_an_architecture_json_with_its_weights_builds_quietly(tmp_path, shared_cache):
    """A Keras 2 JSON + save_weights .h5 (named by model.weights) explained end to end; with --quiet
    nothing from TensorFlow, absl or oneDNN, and no retracing warning, reaches stderr."""
    fixtures = REPO / "tests" / "fixtures"
    config = make_project(tmp_path / "json", shared_cache)
    result = build(config, "data.synthetic.per_class=20", f"model.path={fixtures / 'cnn_k2.json'}",
                   f"model.weights={fixtures / 'cnn_k2.h5'}", "methods.lime.num_samples=100",
                   "methods.cams.layer=conv2d_7",   # 6 channels for 7 classes: no layer qualifies by itself
                   "methods.filters.steps=10", "trust.images=14")
    assert result.returncode == 0, result.stderr
    assert library_lines(result.stderr) == []
    facts = read_facts(config.parent)
    assert facts["model"]["source"] == "file"
    assert facts["model"]["path"] == str(fixtures / "cnn_k2.json")
    assert facts["model"]["adaptations"] == ["keras2-config-cleaned", "sequential-rebuilt"]
    assert [row["type"] for row in facts["model"]["layers"]][:3] == ["InputLayer", "Conv2D", "BatchNormalization"]
    assert {"saliency.png", "lime.png", "cams.png"} <= set(figures_of(config.parent))
