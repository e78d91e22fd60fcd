"""Tests for loading users' Keras models safely and adapting models and images for explanation."""

import hashlib
import os
import shutil
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
}
_LOADED: dict = {}


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

@pytest.mark.parametrize("name", CASES)
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


@pytest.mark.parametrize("name", CASES)
def test_saliency_and_gradcam_work_on_the_loaded_model(name):
    from tf_keras_vis.gradcam import Gradcam
    from tf_keras_vis.saliency import Saliency
    from tf_keras_vis.utils.model_modifiers import ReplaceToLinear
    from tf_keras_vis.utils.scores import CategoricalScore

    result = loaded(name)
    images = expected(name)[0][:2]
    score = CategoricalScore([0, 3])
    height, width, _ = result.input_shape
    saliency = Saliency(result.model, model_modifier=ReplaceToLinear(), clone=True)(score, images)
    last_conv = conv_layer_names(result.model)[-1]
    gradcam = Gradcam(result.model, model_modifier=ReplaceToLinear(), clone=True)(
        score, images, penultimate_layer=last_conv)
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
    from tf_keras_vis.saliency import Saliency
    from tf_keras_vis.utils.model_modifiers import ReplaceToLinear
    from tf_keras_vis.utils.scores import CategoricalScore

    for name in ("nested_k2.h5", "logits.keras"):
        path = FIXTURES / name
        before = digest(path)
        result = load_user_model(path, 7)
        images = expected(name)[0][:1]
        result.model.predict(images, verbose=0)
        Saliency(result.model, model_modifier=ReplaceToLinear(), clone=True)(CategoricalScore(0), images)
        assert digest(path) == before


# --- safety -------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["lambda_k2.h5", "lambda.keras"])
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
