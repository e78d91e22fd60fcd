"""Tests for loading users' Keras models safely and adapting models and images for explanation."""

import hashlib
import json
import os
import shutil
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np
import pytest

from generator.errors import UserError
from generator.explain.common import conv_layer_names
from generator.model.inputs import adapt_images, scale_images
from generator.model.keras2 import clean_keras2_config
from generator.model.loading import LoadedModel, describe_unsafe_content, load_user_model

FIXTURES = Path(__file__).resolve().parent / "fixtures"
LAMBDA_WHAT = "the model contains a Lambda layer, which runs arbitrary code when loaded"
UNSAFE_HINT = "pass --unsafe-model to load it if you trust the file"

# name -> (input shape, output kind, notes, needs unsafe)
CASES = {
    "mini_xception_k2.h5": ((64, 64, 1), "softmax",
                            ("keras2-config-cleaned", "strided-1x1-conv-split"), False),
    "sequential_k2.h5": ((48, 48, 1), "softmax", ("sequential-rebuilt",), False),
    "nested_k2.h5": ((48, 48, 1), "softmax",
                     ("keras2-config-cleaned", "sequential-rebuilt", "nested-flattened"), False),
    "lambda_k2.h5": ((48, 48, 1), "softmax", ("keras2-config-cleaned",), True),
    "lambda.keras": ((48, 48, 1), "softmax", (), True),
    "logits.keras": ((48, 48, 1), "logits", ("softmax-applied",), False),
    "rgb64.keras": ((64, 64, 3), "softmax", (), False),
    "nested_softmax.keras": ((48, 48, 1), "softmax",
                             ("nested-flattened", "softmax-layer-as-activation"), False),
    # architecture JSON + weights beside it: Keras 2 save_weights .h5, Keras 3 .weights.h5
    "cnn_k2.json": ((48, 48, 1), "softmax", ("keras2-config-cleaned", "sequential-rebuilt"), False),
    "xception_k2.json": ((64, 64, 1), "softmax", ("keras2-config-cleaned", "strided-1x1-conv-split"), False),
    "cnn_k3.json": ((48, 48, 1), "softmax", ("sequential-rebuilt",), False),
}
_LOADED: dict = {}


def lambda_python() -> str:
    """The Python (major.minor) that wrote the Lambda fixtures: their code is that Python's bytecode."""
    with np.load(FIXTURES / "expected.npz") as stored:
        return str(stored["lambda_python"])


# Running a Lambda's stored bytecode under another Python crashes the interpreter (3.11 code under 3.13
# is a segmentation fault), so a trusted Lambda model loads only where it was written.
SAME_PYTHON_AS_LAMBDAS = pytest.mark.skipif(
    f"{sys.version_info[0]}.{sys.version_info[1]}" != lambda_python(),
    reason=f"the Lambda fixtures hold Python {lambda_python()} bytecode")
CASE_NAMES = [pytest.param(name, marks=SAME_PYTHON_AS_LAMBDAS) if CASES[name][3] else name for name in CASES]


def loaded(name: str) -> LoadedModel:
    """Each fixture loaded once per test session (tests only read the model)."""
    if name not in _LOADED:
        _LOADED[name] = load_user_model(FIXTURES / name, 7, unsafe=CASES[name][3])
    return _LOADED[name]


def expected(name: str) -> tuple[np.ndarray, np.ndarray]:
    """The fixed inputs and the original (writing) model's outputs on them."""
    key = name.replace(".", "_")
    with np.load(FIXTURES / "expected.npz") as stored:
        return stored[f"{key}_inputs"], stored[f"{key}_outputs"]


def softmax(logits: np.ndarray) -> np.ndarray:
    shifted = np.exp(logits - logits.max(axis=1, keepdims=True))
    return shifted / shifted.sum(axis=1, keepdims=True)


def without_softmax(model):
    """A clone of the model with ReplaceToLinear applied, as tf-keras-vis does with clone=True."""
    import keras
    from tf_keras_vis.utils.model_modifiers import ReplaceToLinear

    clone = keras.models.clone_model(model)
    clone.set_weights(model.get_weights())
    ReplaceToLinear()(clone)
    return clone


def digest(path: Path) -> tuple[str, int]:
    return hashlib.sha256(path.read_bytes()).hexdigest(), path.stat().st_mtime_ns


# --- each fixture loads, predicts as the original, and suits every method -----------------

@pytest.mark.parametrize("name", CASE_NAMES)
def test_fixture_loads_with_expected_kind_notes_and_predictions(name):
    shape, kind, notes, _ = CASES[name]
    result = loaded(name)
    assert (result.input_shape, result.output_kind, result.notes) == (shape, kind, notes)
    assert conv_layer_names(result.model)
    model = result.model
    assert not any(hasattr(layer, "layers") for layer in model.layers)  # flat: no model inside
    assert model.output_names == [model.layers[-1].name]
    assert model.layers[-1].activation.__name__ == "softmax"
    inputs, outputs = expected(name)
    probabilities = np.asarray(model(inputs))
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, atol=1e-5)
    reference = softmax(outputs) if kind == "logits" else outputs
    np.testing.assert_allclose(probabilities, reference, atol=1e-5)


def test_strided_pointwise_conv_is_split_into_subsampling_and_a_stride_1_conv():
    """The mini-Xception shortcut: same outputs (checked above), no strided 1x1 kernel left."""
    model = loaded("mini_xception_k2.h5").model
    convs = [layer.get_config() for layer in model.layers if type(layer).__name__ == "Conv2D"]
    pointwise = [config for config in convs if tuple(config["kernel_size"]) == (1, 1)]
    assert len(pointwise) == 1 and tuple(pointwise[0]["strides"]) == (1, 1)
    subsample = model.get_layer(pointwise[0]["name"] + "_subsample")
    assert tuple(subsample.get_config()["strides"]) == (2, 2)
    assert tuple(subsample.get_config()["pool_size"]) == (1, 1)


@pytest.mark.filterwarnings("error::UserWarning")
@pytest.mark.parametrize("name", CASE_NAMES)
def test_saliency_and_gradcam_work_on_the_loaded_model(name):
    """The report's own saliency and Grad-CAM on each loaded model, without a warning."""
    from generator.explain.cams import compute_cam
    from generator.explain.saliency import compute_saliency

    result = loaded(name)
    images = expected(name)[0][:2]
    height, width, _ = result.input_shape
    saliency = compute_saliency(result.model, images, [0, 3])
    gradcam = compute_cam(result.model, images, [0, 3], conv_layer_names(result.model)[-1], "gradcam")
    for maps in (np.asarray(saliency), np.asarray(gradcam)):
        assert maps.shape == (2, height, width)
        assert np.all(np.isfinite(maps)) and maps.max() > 0
    # clone=True left the loaded model's softmax in place
    np.testing.assert_allclose(np.asarray(result.model(images)).sum(axis=1), 1.0, atol=1e-5)


@pytest.mark.parametrize("name", ["mini_xception_k2.h5", "sequential_k2.h5",
                                  "nested_softmax.keras", "logits.keras"])
def test_replace_to_linear_gives_log_probabilities_up_to_a_constant(name):
    """Activation layer, Dense(softmax), Softmax layer and appended softmax all become logits."""
    result = loaded(name)
    inputs, outputs = expected(name)
    logits = np.asarray(without_softmax(result.model)(inputs), dtype=np.float64)
    log_probabilities = np.log(np.asarray(result.model(inputs), dtype=np.float64))
    shift = log_probabilities - logits
    assert np.ptp(shift, axis=1).max() < 1e-4
    assert np.abs(logits - log_probabilities).max() > 1e-3  # really changed
    if result.output_kind == "logits":
        np.testing.assert_allclose(logits, outputs, atol=1e-5)


def test_loading_and_explaining_leave_the_files_unchanged():
    from generator.explain.cams import compute_cam
    from generator.explain.saliency import compute_saliency

    for name in ("nested_k2.h5", "logits.keras"):
        path = FIXTURES / name
        before = digest(path)
        result = load_user_model(path, 7)
        images = expected(name)[0][:1]
        result.model.predict(images, verbose=0)
        compute_saliency(result.model, images, [0])
        compute_cam(result.model, images, [0], conv_layer_names(result.model)[-1], "gradcam")
        assert digest(path) == before


# --- safety -------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["lambda_k2.h5", "lambda.keras", "lambda_k2.json"])
def test_lambda_model_is_refused_before_deserialising(name, monkeypatch):
    import keras

    def must_not_run(*args, **kwargs):
        raise AssertionError("load_model was called")

    monkeypatch.setattr(keras.saving, "load_model", must_not_run)
    path = FIXTURES / name
    with pytest.raises(UserError) as caught:
        load_user_model(path, 7)
    assert (caught.value.where, caught.value.what, caught.value.hint) == (str(path), LAMBDA_WHAT, UNSAFE_HINT)


def test_unsafe_content_is_found_in_stored_configs():
    keras3_custom = {"class_name": "Functional", "module": "keras.src.models.functional", "config": {
        "layers": [{"class_name": "MyLayer", "module": "my_package.layers", "config": {}}]}}
    keras2_custom = {"class_name": "Functional", "config": {
        "layers": [{"class_name": "InputLayer", "config": {}}, {"class_name": "MyLayer", "config": {}}]}}
    tf_op = {"class_name": "Functional", "config": {"layers": [{"class_name": "TFOpLambda", "config": {}}]}}
    custom_activation = {"class_name": "Functional", "config": {"layers": [{
        "class_name": "Dense", "module": "keras.layers",
        "config": {"activation": {"class_name": "function", "module": "builtins", "config": "act"}}}]}}
    plain = {"class_name": "Sequential", "config": {"layers": [
        {"class_name": "Conv2D", "module": "keras.layers", "config": {
            "kernel_initializer": {"class_name": "GlorotUniform", "module": "keras.initializers"}}},
        {"class_name": "Dense", "config": {"activation": "softmax"}}]}}
    assert "custom object 'MyLayer'" in describe_unsafe_content(keras3_custom)
    assert "custom layer 'MyLayer'" in describe_unsafe_content(keras2_custom)
    assert describe_unsafe_content(tf_op).startswith("the model contains a TFOpLambda layer")
    assert "custom object 'function'" in describe_unsafe_content(custom_activation)
    assert describe_unsafe_content(plain) is None


def test_keras2_configs_are_cleaned_only_where_keras3_rejects_them():
    config = {"class_name": "Functional", "config": {
        "input_layers": [["input_1", 0, 0]], "output_layers": [["dense", 0, 0]],
        "layers": [
            {"class_name": "SeparableConv2D", "config": {"filters": 8, "groups": 1,
                                                         "kernel_initializer": "glorot_uniform"}},
            {"class_name": "Conv2D", "config": {"filters": 8, "groups": 2,
                                                "kernel_initializer": "glorot_uniform"}},
            {"class_name": "BatchNormalization", "config": {"axis": [3]}},
        ]}}
    cleaned = clean_keras2_config(config)["config"]
    assert cleaned["input_layers"] == ["input_1", 0, 0] and cleaned["output_layers"] == ["dense", 0, 0]
    separable, conv, batch_norm = (layer["config"] for layer in cleaned["layers"])
    assert separable == {"filters": 8}
    assert conv == {"filters": 8, "groups": 2, "kernel_initializer": "glorot_uniform"}
    assert batch_norm == {"axis": 3}


def test_keras2_sequential_configs_get_a_name_and_an_input_layer():
    """Keras 2.0-2.2: a list of layers; 2.0-2.3: the shape on the first layer; 2.13+ to_json: module keys."""
    dense = {"class_name": "Dense", "config": {"name": "dense_1", "units": 7, "batch_input_shape": [None, 4],
                                               "dtype": "float32"}}
    old = clean_keras2_config({"class_name": "Sequential", "config": [dense]})["config"]
    assert old == {"name": "sequential", "layers": [
        {"class_name": "InputLayer", "config": {"batch_input_shape": [None, 4], "dtype": "float32",
                                                "name": "dense_1_input"}},
        {"class_name": "Dense", "config": {"name": "dense_1", "units": 7, "dtype": "float32"}}]}
    input_layer = {"module": "keras.layers", "class_name": "InputLayer", "config": {"batch_input_shape": [None, 4]}}
    with_module = {**dense, "module": "keras.layers"}
    new = {"class_name": "Sequential", "config": {"name": "s", "layers": [input_layer, with_module]}}
    layers = clean_keras2_config(new)["config"]["layers"]
    assert layers[0] == input_layer
    assert layers[1]["config"] == {"name": "dense_1", "units": 7, "dtype": "float32"}
    saved = {"class_name": "Sequential", "config": {"name": "s", "layers": [input_layer, dense]}}
    assert clean_keras2_config(saved) == saved   # model.save's form: Keras 3 reads it as it is


# --- bad files ------------------------------------------------------------------------------

def test_wrong_class_count_names_both_counts():
    path = FIXTURES / "sequential_k2.h5"
    with pytest.raises(UserError) as caught:
        load_user_model(path, 6)
    assert caught.value.where == str(path)
    assert caught.value.what == "the model outputs 7 classes but the configuration names 6"


@pytest.mark.parametrize("name", ["mini_xception_k2.h5", "logits.keras"])
@pytest.mark.parametrize("keep", [0.5, 0.95])
def test_truncated_file_is_a_user_error(name, keep, tmp_path):
    source = (FIXTURES / name).read_bytes()
    path = tmp_path / name
    path.write_bytes(source[: int(len(source) * keep)])
    with pytest.raises(UserError) as caught:
        load_user_model(path, 7)
    assert caught.value.where == str(path)


@pytest.mark.parametrize("suffix", [".h5", ".hdf5", ".keras"])
def test_text_file_with_a_model_name_is_a_user_error(suffix, tmp_path):
    path = tmp_path / f"model{suffix}"
    path.write_text("not a model\n")
    with pytest.raises(UserError) as caught:
        load_user_model(path, 7)
    assert caught.value.where == str(path)
    assert "not a readable" in caught.value.what


def test_missing_file_and_unknown_type_are_user_errors(tmp_path):
    with pytest.raises(UserError) as caught:
        load_user_model(tmp_path / "absent.keras", 7)
    assert (caught.value.where, caught.value.what) == (str(tmp_path / "absent.keras"), "no such model file")
    other = tmp_path / "model.pt"
    shutil.copyfile(FIXTURES / "logits.keras", other)
    with pytest.raises(UserError) as caught:
        load_user_model(other, 7)
    assert "unsupported model file type '.pt'" in caught.value.what


def test_weights_only_h5_is_a_user_error(tmp_path):
    import h5py

    path = tmp_path / "weights.h5"
    with h5py.File(path, "w") as handle:
        handle.create_dataset("kernel", data=np.zeros(3))
    with pytest.raises(UserError, match="holds weights only"):
        load_user_model(path, 7)


@pytest.mark.parametrize("name", ["cnn_k2.h5", "cnn_k3.weights.h5"])
def test_a_weights_file_as_the_model_says_to_pass_the_architecture_json(name):
    path = FIXTURES / name
    with pytest.raises(UserError) as caught:
        load_user_model(path, 7)
    assert caught.value.line() == (
        f"error: {path}: has no model_config, so it holds weights only (pass the architecture JSON "
        "(model.to_json()) as model.path and this file as model.weights)")


# --- architecture JSON + weights --------------------------------------------------------------

def copy_fixture(name: str, folder: Path, stem: str = "model") -> Path:
    """The fixture copied into `folder` as `<stem><suffix>`; returns the copy."""
    suffix = ".weights.h5" if name.endswith(".weights.h5") else Path(name).suffix
    target = folder / f"{stem}{suffix}"
    shutil.copyfile(FIXTURES / name, target)
    return target


def legacy_weights(layer) -> list[np.ndarray]:
    """A layer's weights in the order Keras 2 save_weights writes them (trainable, then the rest)."""
    return [np.asarray(w) for w in layer.trainable_weights + layer.non_trainable_weights]


@pytest.mark.parametrize("name", ["cnn_k2.json", "xception_k2.json"])
def test_keras2_weights_land_on_the_layers_of_the_same_name(name):
    """Keras 3 reads a legacy weights file layer by layer in order; every layer gets its own weights."""
    import h5py

    model = loaded(name).model
    checked = 0
    with h5py.File(FIXTURES / name.replace(".json", ".h5"), "r") as handle:
        for layer_name in handle.attrs["layer_names"]:
            layer_name = layer_name.decode() if isinstance(layer_name, bytes) else layer_name
            group = handle[layer_name]
            stored = [np.asarray(group[w]) for w in group.attrs["weight_names"]]
            if stored:
                got = legacy_weights(model.get_layer(layer_name))
                assert [w.shape for w in got] == [w.shape for w in stored], layer_name
                for ours, theirs in zip(got, stored):
                    np.testing.assert_array_equal(ours, theirs)
                checked += 1
    assert checked == {"cnn_k2.json": 5, "xception_k2.json": 9}[name]


def keras_2_0_form(node):
    """A tf_keras model.to_json() config as Keras 2.0-2.2 wrote it: no module keys, a Sequential's
    config the list of its layers with the input shape on the first, "Model" for a functional model,
    initialisers as VarianceScaling."""
    if isinstance(node, list):
        return [keras_2_0_form(item) for item in node]
    if not isinstance(node, dict):
        return node
    node = {key: keras_2_0_form(value) for key, value in node.items()
            if key not in ("module", "registered_name", "build_config")}
    if node.get("class_name") == "Sequential":
        layers = node["config"]["layers"]
        shape = layers[0]["config"]["batch_input_shape"]
        node["config"] = [{**layers[1], "config": {**layers[1]["config"], "batch_input_shape": shape}}, *layers[2:]]
    if node.get("class_name") == "Functional":
        node["class_name"] = "Model"
    if node.get("class_name") == "GlorotUniform":
        node = {"class_name": "VarianceScaling",
                "config": {"scale": 1.0, "mode": "fan_avg", "distribution": "uniform", "seed": None}}
    return node


@pytest.mark.parametrize("name", ["cnn_k2.json", "xception_k2.json"])
def test_a_keras_2_0_config_loads_to_the_same_predictions(name, tmp_path):
    config = keras_2_0_form(json.loads((FIXTURES / name).read_text()))
    assert "module" not in json.dumps(config) and config["keras_version"]
    config["keras_version"] = "2.0.8"
    path = tmp_path / "old.json"
    path.write_text(json.dumps(config))
    shutil.copyfile(FIXTURES / name.replace(".json", ".h5"), tmp_path / "old.h5")
    result = load_user_model(path, 7)
    assert result.input_shape == CASES[name][0]
    inputs, outputs = expected(name)
    np.testing.assert_allclose(np.asarray(result.model(inputs)), outputs, atol=1e-5)


def test_model_weights_names_the_weights_file(tmp_path):
    path = copy_fixture("cnn_k2.json", tmp_path)
    weights = copy_fixture("cnn_k2.h5", tmp_path, "elsewhere")
    result = load_user_model(path, 7, weights=weights)
    inputs, outputs = expected("cnn_k2.json")
    np.testing.assert_allclose(np.asarray(result.model(inputs)), outputs, atol=1e-5)


@pytest.mark.parametrize("name, expected_name", [("cnn_k2.json", "model.h5"), ("cnn_k3.json", "model.weights.h5")])
def test_missing_weights_name_the_expected_file(name, expected_name, tmp_path):
    path = copy_fixture(name, tmp_path)
    with pytest.raises(UserError) as caught:
        load_user_model(path, 7)
    other = "model.weights.h5" if expected_name == "model.h5" else "model.h5"
    assert caught.value.line() == (
        f"error: {path}: has no weights file beside it (looked for {expected_name} and {other}) "
        f"(save the weights as {tmp_path / expected_name} or set model.weights to their file)")
    absent = tmp_path / "absent.h5"
    with pytest.raises(UserError) as caught:
        load_user_model(path, 7, weights=absent)
    assert caught.value.line() == f"error: {absent}: no such weights file (check model.weights in the configuration)"


def test_keras2_weights_of_another_architecture_are_refused(tmp_path):
    path = copy_fixture("cnn_k2.json", tmp_path)
    weights = FIXTURES / "xception_k2.h5"
    with pytest.raises(UserError) as caught:
        load_user_model(path, 7, weights=weights)
    assert caught.value.where == str(weights)
    assert caught.value.what == ("does not fit the architecture in model.json (Layer count mismatch when loading "
                                 "weights from file. Model expected 5 layers, found 9 saved layers.)")
    assert caught.value.hint == "use the weights saved from the same model as the architecture"


def test_keras3_weights_of_another_architecture_are_refused(tmp_path):
    import keras

    other = keras.Sequential([keras.Input((48, 48, 1)), keras.layers.Conv2D(3, 3, name="conv2d"),
                              keras.layers.GlobalAveragePooling2D(), keras.layers.Dense(7)])
    weights = tmp_path / "other.weights.h5"
    other.save_weights(weights)
    with pytest.raises(UserError) as caught:
        load_user_model(copy_fixture("cnn_k3.json", tmp_path), 7, weights=weights)
    assert caught.value.where == str(weights)
    assert caught.value.what.startswith("does not fit the architecture in model.json (A total of ")


def test_keras3_weights_for_a_keras2_architecture_are_refused(tmp_path):
    weights = FIXTURES / "cnn_k3.weights.h5"
    with pytest.raises(UserError) as caught:
        load_user_model(copy_fixture("cnn_k2.json", tmp_path), 7, weights=weights)
    assert caught.value.line() == (f"error: {weights}: holds Keras 3 weights but model.json is a Keras 2 "
                                   "architecture (save the architecture and the weights with the same Keras)")


@pytest.mark.parametrize("text, what", [("{not json", "is not a readable .json model file"),
                                        ('{"layers": []}', "holds no model configuration")])
def test_a_json_that_is_no_architecture_is_a_user_error(text, what, tmp_path):
    path = tmp_path / "model.json"
    path.write_text(text)
    with pytest.raises(UserError) as caught:
        load_user_model(path, 7)
    assert caught.value.where == str(path) and caught.value.what.startswith(what)


def test_loading_a_json_and_its_weights_leaves_both_files_unchanged():
    files = [FIXTURES / name for name in ("cnn_k2.json", "cnn_k2.h5", "cnn_k3.json", "cnn_k3.weights.h5")]
    before = [digest(path) for path in files]
    load_user_model(files[0], 7)
    load_user_model(files[2], 7)
    assert [digest(path) for path in files] == before


def test_models_without_conv_or_with_sigmoid_output(tmp_path):
    import keras

    inputs = keras.Input((8, 8, 1))
    flat = keras.layers.Flatten()(inputs)
    dense_path, sigmoid_path = tmp_path / "dense.keras", tmp_path / "sigmoid.keras"
    keras.Model(inputs, keras.layers.Dense(3, activation="softmax")(flat)).save(dense_path)
    keras.Model(inputs, keras.layers.Dense(3, activation="sigmoid")(flat)).save(sigmoid_path)
    assert conv_layer_names(load_user_model(dense_path, 3).model) == []
    with pytest.raises(UserError, match="uses the sigmoid activation"):
        load_user_model(sigmoid_path, 3)


# --- inputs ---------------------------------------------------------------------------------

def test_adapt_images_resizes_bilinearly_and_replicates_channels():
    images = np.array([[0.0, 1.0], [0.0, 1.0]], dtype=np.float32).reshape(1, 2, 2, 1)
    wider = adapt_images(images, (2, 4, 3))
    assert wider.shape == (1, 2, 4, 3) and wider.dtype == np.float32
    # half-pixel centres: new columns sit at 0.25, 0.75, 1.25, 1.75 old pixels -> clamp, 0.25, 0.75, clamp
    np.testing.assert_allclose(wider[0, 0, :, 0], [0.0, 0.25, 0.75, 1.0], atol=1e-6)
    np.testing.assert_array_equal(wider[..., 0], wider[..., 1])
    np.testing.assert_array_equal(wider[..., 0], wider[..., 2])
    same = np.random.default_rng(0).random((3, 48, 48, 1), dtype=np.float32)
    np.testing.assert_array_equal(adapt_images(same, (48, 48, 1)), same)
    bigger = adapt_images(same, (64, 64, 1))
    assert bigger.shape == (3, 64, 64, 1) and 0.0 <= bigger.min() and bigger.max() <= 1.0
    np.testing.assert_allclose(bigger.mean(axis=(1, 2, 3)), same.mean(axis=(1, 2, 3)), atol=0.01)


def test_adapt_images_turns_rgb_into_luma():
    rgb = np.zeros((1, 4, 4, 3), dtype=np.float32)
    rgb[..., 0], rgb[..., 1], rgb[..., 2] = 1.0, 0.5, 0.0
    gray = adapt_images(rgb, (4, 4, 1))
    np.testing.assert_allclose(gray, 0.2989 + 0.5870 * 0.5, atol=1e-3)
    with pytest.raises(ValueError):
        adapt_images(rgb, (4, 4, 4))


def test_scale_images_gives_the_documented_ranges():
    images = np.array([0.0, 0.5, 1.0], dtype=np.float32).reshape(1, 1, 3, 1)
    np.testing.assert_allclose(scale_images(images).ravel(), [0.0, 0.5, 1.0])
    np.testing.assert_allclose(scale_images(images, "-1-1").ravel(), [-1.0, 0.0, 1.0])
    np.testing.assert_allclose(scale_images(images, "0-255").ravel(), [0.0, 127.5, 255.0])
    standardised = scale_images(images, {"mean": 127.5, "std": 127.5})
    np.testing.assert_allclose(standardised.ravel(), [-1.0, 0.0, 1.0])
    rgb = np.full((1, 1, 1, 3), 0.5, dtype=np.float32)
    per_channel = scale_images(rgb, {"mean": [127.5, 100.0, 0.0], "std": [1.0, 2.0, 127.5]})
    np.testing.assert_allclose(per_channel.ravel(), [0.0, 13.75, 1.0])
    assert scale_images(images, "0-1") is not images and scale_images(images).dtype == np.float32
    with pytest.raises(ValueError):
        scale_images(images, "0-2")
    with pytest.raises(ValueError):
        scale_images(images, {"mean": 0.0, "std": 0.0})
