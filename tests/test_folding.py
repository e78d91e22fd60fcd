"""The folded inference copy: the model's function with each foldable batch normalisation folded in."""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from generator.explain.common import linear_clone  # noqa: E402
from generator.model.folding import folded_copy, folded_pairs  # noqa: E402


def _trained_like(model, seed: int):
    """Give every weight a seeded random value; moving variances stay positive."""
    rng = np.random.default_rng(seed)
    for variable in model.weights:
        value = rng.normal(0.0, 0.5, tuple(variable.shape))
        if variable.path.endswith("moving_variance"):
            value = np.abs(value) + 0.2
        variable.assign(value.astype(np.float32))
    return model


def every_kind_model():
    """Conv2D (no bias), SeparableConv2D, DepthwiseConv2D and Dense, each followed by a normalisation."""
    inputs = keras.Input((12, 12, 2))
    x = keras.layers.Conv2D(4, 3, padding="same", use_bias=False, name="conv")(inputs)
    x = keras.layers.BatchNormalization(name="bn_conv")(x)
    x = keras.layers.Activation("relu", name="relu_conv")(x)
    x = keras.layers.SeparableConv2D(6, 3, padding="same", name="separable")(x)
    x = keras.layers.BatchNormalization(name="bn_separable")(x)
    x = keras.layers.DepthwiseConv2D(3, depth_multiplier=2, padding="same", name="depthwise")(x)
    x = keras.layers.BatchNormalization(name="bn_depthwise")(x)
    x = keras.layers.GlobalAveragePooling2D()(keras.layers.Activation("relu")(x))
    x = keras.layers.Dense(5, name="dense")(x)
    x = keras.layers.BatchNormalization(name="bn_dense")(x)
    outputs = keras.layers.Dense(3, activation="softmax", name="predictions")(x)
    return _trained_like(keras.Model(inputs, outputs), 0)


@pytest.fixture(scope="module")
def model():
    return every_kind_model()


@pytest.fixture(scope="module")
def images():
    return np.random.default_rng(1).random((16, 12, 12, 2)).astype(np.float32)


def test_every_kind_is_folded_and_the_function_kept(model, images):
    assert folded_pairs(model) == {"conv": "bn_conv", "separable": "bn_separable",
                                   "depthwise": "bn_depthwise", "dense": "bn_dense"}
    copy = folded_copy(model)
    assert [layer.name for layer in copy.layers][1:] == [layer.name for layer in model.layers][1:]   # past the input
    assert not any(type(layer).__name__ == "BatchNormalization" for layer in copy.layers)
    expected = np.asarray(model(images, training=False))
    np.testing.assert_allclose(np.asarray(copy(images, training=False)), expected, rtol=1e-4, atol=1e-6)
    # A normalised response read from the copy is the model's.
    response = keras.Model(model.inputs[0], model.get_layer("relu_conv").output)(images)
    folded_response = keras.Model(copy.inputs[0], copy.get_layer("relu_conv").output)(images)
    np.testing.assert_allclose(np.asarray(folded_response), np.asarray(response), rtol=1e-4, atol=1e-5)


def test_the_linear_clone_gives_the_scores_before_softmax(model, images):
    scores = np.asarray(linear_clone(model)(images, training=False))
    probabilities = np.asarray(model(images, training=False))
    np.testing.assert_allclose(np.asarray(keras.ops.softmax(scores)), probabilities, rtol=1e-4, atol=1e-6)
    assert not np.allclose(scores, probabilities)


def test_the_copy_follows_changed_weights_and_leaves_the_model_alone(images):
    model = every_kind_model()
    before = [w.copy() for w in model.get_weights()]
    folded_copy(model)
    for after, weight in zip(model.get_weights(), before):
        np.testing.assert_array_equal(after, weight)
    norm = model.get_layer("bn_separable")
    norm.moving_variance.assign(np.asarray(norm.moving_variance) * 4.0)
    norm.beta.assign(np.asarray(norm.beta) + 1.0)
    np.testing.assert_allclose(np.asarray(folded_copy(model)(images, training=False)),
                               np.asarray(model(images, training=False)), rtol=1e-4, atol=1e-6)


def test_a_normalisation_is_not_folded_where_it_would_change_the_function():
    """After a nonlinear activation, or when the layer's output also feeds another layer."""
    inputs = keras.Input((8, 8, 1))
    a = keras.layers.Conv2D(3, 3, activation="relu", name="activated")(inputs)
    a = keras.layers.BatchNormalization(name="bn_after_relu")(a)
    b = keras.layers.Conv2D(3, 3, padding="same", name="shared")(a)
    skip = keras.layers.BatchNormalization(name="bn_shared")(b)
    x = keras.layers.Add()([b, skip])
    outputs = keras.layers.Dense(2, activation="softmax")(keras.layers.GlobalAveragePooling2D()(x))
    model = _trained_like(keras.Model(inputs, outputs), 2)
    assert folded_pairs(model) == {}
    images = np.random.default_rng(3).random((4, 8, 8, 1)).astype(np.float32)
    np.testing.assert_allclose(np.asarray(folded_copy(model)(images, training=False)),
                               np.asarray(model(images, training=False)), rtol=1e-5, atol=1e-6)


def test_a_sequential_model_is_folded():
    model = keras.Sequential([keras.Input((10, 10, 1)), keras.layers.Conv2D(4, 3, name="conv"),
                              keras.layers.BatchNormalization(name="bn"), keras.layers.Activation("relu"),
                              keras.layers.Flatten(), keras.layers.Dense(3, activation="softmax")])
    model = _trained_like(model, 4)
    assert folded_pairs(model) == {"conv": "bn"}
    images = np.random.default_rng(5).random((4, 10, 10, 1)).astype(np.float32)
    np.testing.assert_allclose(np.asarray(folded_copy(model)(images, training=False)),
                               np.asarray(model(images, training=False)), rtol=1e-4, atol=1e-6)
