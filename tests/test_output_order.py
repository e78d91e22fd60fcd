"""model.classes: a model file's outputs put in the order of `classes` by permuting its last weighted layer."""

import numpy as np
import pytest

from generator.errors import UserError
from generator.model.loading import load_user_model
from generator.model.output_order import output_order, reorder_outputs
from generator.vocabulary import FER2013_CLASSES
from tests.conftest import REPO

ALPHABETICAL = sorted(FER2013_CLASSES)


def test_output_order_maps_each_class_to_the_output_holding_it():
    assert output_order(FER2013_CLASSES, None) is None
    assert output_order(FER2013_CLASSES, list(FER2013_CLASSES)) is None
    # FER2013's Sad, Surprise and Neutral are outputs 5, 6 and 4 of an alphabetical model.
    assert output_order(FER2013_CLASSES, ALPHABETICAL) == (0, 1, 2, 3, 5, 6, 4)


def reordered_outputs(model, order, images) -> tuple[np.ndarray, np.ndarray]:
    before = model.predict(images, verbose=0)
    reorder_outputs(model, order)
    return before, model.predict(images, verbose=0)


def test_a_dense_head_with_batch_normalisation_is_reordered():
    import keras

    inputs = keras.Input((5,))
    x = keras.layers.Dense(3)(inputs)
    x = keras.layers.BatchNormalization()(x)
    model = keras.Model(inputs, keras.layers.Activation("softmax")(x))
    rng = np.random.default_rng(0)
    norm = model.layers[2]
    norm.set_weights([rng.uniform(0.5, 1.5, 3), rng.normal(0, 1, 3), rng.normal(0, 1, 3), rng.uniform(0.5, 2, 3)])
    before, after = reordered_outputs(model, (2, 0, 1), rng.normal(size=(6, 5)).astype("float32"))
    np.testing.assert_allclose(after, before[:, [2, 0, 1]], rtol=1e-5, atol=1e-6)


def test_a_convolution_head_is_reordered_through_pooling():
    """The mini-Xception file: Conv2D(7) -> GlobalAveragePooling2D -> softmax."""
    model = load_user_model(REPO / "tests" / "fixtures" / "mini_xception_k2.h5", 7).model
    order = output_order(FER2013_CLASSES, ALPHABETICAL)
    images = np.random.default_rng(1).uniform(0, 1, (4, 64, 64, 1)).astype("float32")
    before, after = reordered_outputs(model, order, images)
    np.testing.assert_allclose(after, before[:, list(order)], rtol=1e-5, atol=1e-6)


def test_a_head_that_mixes_branches_is_refused_naming_the_key():
    import keras

    inputs = keras.Input((5,))
    added = keras.layers.Add()([keras.layers.Dense(3)(inputs), keras.layers.Dense(3)(inputs)])
    model = keras.Model(inputs, keras.layers.Activation("softmax")(added))
    with pytest.raises(UserError) as caught:
        reorder_outputs(model, (1, 0, 2))
    assert caught.value.where == "model.classes" and "Add" in caught.value.what
    assert "classes:" in caught.value.hint
