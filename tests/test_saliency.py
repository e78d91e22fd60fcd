"""Saliency and SmoothGrad against hand-computed gradients, and the saliency figure."""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from generator.explain.common import normalise_maps  # noqa: E402
from generator.explain.saliency import compute_saliency, compute_smoothgrad  # noqa: E402
from generator.figures.common import attribution, overlay, rgb, to_bytes  # noqa: E402
from generator.figures.saliency import plot_saliency  # noqa: E402

SHAPE = (5, 4, 2)
CLASSES = 3


def linear_model(use_bias=True, seed=0):
    """Flatten -> Dense(softmax) with known weights; after softmax -> linear, d score_k / dx = W[:, k]."""
    rng = np.random.default_rng(seed)
    inputs = keras.Input(SHAPE)
    dense = keras.layers.Dense(CLASSES, activation="softmax", use_bias=use_bias)
    model = keras.Model(inputs, dense(keras.layers.Flatten()(inputs)))
    weights = rng.normal(size=(int(np.prod(SHAPE)), CLASSES)).astype(np.float32)
    dense.set_weights([weights, rng.normal(size=CLASSES).astype(np.float32)] if use_bias else [weights])
    return model, weights


def analytic(weights, k):
    return np.abs(weights[:, k].reshape(SHAPE)).max(axis=-1)


def small_cnn(seed=0):
    keras.utils.set_random_seed(seed)
    inputs = keras.Input((12, 12, 1))
    x = keras.layers.Conv2D(4, 3, activation="relu")(inputs)
    x = keras.layers.Flatten()(x)
    return keras.Model(inputs, keras.layers.Dense(CLASSES, activation="softmax")(x))


def images(n, seed=1, shape=SHAPE):
    return np.random.default_rng(seed).uniform(0, 1, size=(n, *shape)).astype(np.float32)


def test_saliency_is_the_analytic_gradient_of_the_class_score():
    model, weights = linear_model()
    targets = [0, 2, 1, 2]
    maps = compute_saliency(model, images(4), targets)
    assert maps.shape == (4, *SHAPE[:2]) and maps.dtype == np.float32
    for m, k in zip(maps, targets):
        np.testing.assert_allclose(m, analytic(weights, k), rtol=1e-5, atol=1e-6)


def test_saliency_does_not_depend_on_the_batch():
    model = small_cnn()
    batch = images(5, shape=(12, 12, 1))
    targets = [2, 0, 1, 2, 1]
    together = compute_saliency(model, batch, targets)
    alone = compute_saliency(model, batch[3:4], [targets[3]])
    np.testing.assert_allclose(alone[0], together[3], rtol=1e-5, atol=1e-7)
    assert np.ptp(together[3]) > 0


def test_the_callers_model_keeps_its_softmax():
    model, _ = linear_model()
    batch = images(2)
    before = model(batch).numpy()
    compute_saliency(model, batch, [0, 1])
    after = model(batch).numpy()
    np.testing.assert_allclose(after, before)
    np.testing.assert_allclose(after.sum(axis=1), 1.0, rtol=1e-5)


def test_saliency_follows_weight_changes_of_the_same_model():
    model, weights = linear_model()
    compute_saliency(model, images(1), [0])
    dense = model.layers[-1]
    dense.set_weights([-2 * weights, dense.get_weights()[1]])
    np.testing.assert_allclose(compute_saliency(model, images(1), [0])[0], 2 * analytic(weights, 0),
                               rtol=1e-5)


@pytest.mark.filterwarnings("error")
def test_a_black_image_gives_finite_maps_equal_to_the_gradient():
    model, weights = linear_model(use_bias=False)
    black = np.zeros((2, *SHAPE), np.float32)
    vanilla = compute_saliency(model, black, [1, 2])
    smooth = compute_smoothgrad(model, black, [1, 2], samples=4)
    for maps in (vanilla, smooth):
        assert np.isfinite(maps).all()
        np.testing.assert_allclose(maps[0], analytic(weights, 1), rtol=1e-5)
        np.testing.assert_allclose(maps[1], analytic(weights, 2), rtol=1e-5)
        assert np.isfinite(normalise_maps(maps)).all()
    zero = normalise_maps(np.zeros((1, *SHAPE[:2]), np.float32))
    assert np.isfinite(zero).all() and not zero.any()


def test_smoothgrad_of_a_linear_model_is_its_gradient():
    model, weights = linear_model()
    maps = compute_smoothgrad(model, images(2), [0, 1], samples=5, noise=0.5)
    np.testing.assert_allclose(maps[0], analytic(weights, 0), rtol=1e-5)
    np.testing.assert_allclose(maps[1], analytic(weights, 1), rtol=1e-5)


def test_smoothgrad_is_seeded_and_leaves_numpy_alone():
    model = small_cnn()
    batch = images(2, shape=(12, 12, 1))
    np.random.seed(123)
    expected_draw = np.random.random()
    np.random.seed(123)
    first = compute_smoothgrad(model, batch, [0, 1], samples=6, seed=3)
    assert np.random.random() == expected_draw
    again = compute_smoothgrad(model, batch, [0, 1], samples=6, seed=3)
    other = compute_smoothgrad(model, batch, [0, 1], samples=6, seed=4)
    np.testing.assert_array_equal(first, again)
    assert not np.allclose(first, other)
    noiseless = compute_smoothgrad(model, batch, [0, 1], samples=3, noise=0.0)
    np.testing.assert_allclose(noiseless, compute_saliency(model, batch, [0, 1]), rtol=1e-5, atol=1e-8)


def test_maps_equal_tf_keras_vis_saliency_and_smoothgrad():
    """The compiled gradients compute what tf-keras-vis's Saliency does; SmoothGrad with the same seeded
    noise as tf-keras-vis draws for one image."""
    import warnings

    from tf_keras_vis.saliency import Saliency
    from tf_keras_vis.utils.model_modifiers import ReplaceToLinear
    from tf_keras_vis.utils.scores import CategoricalScore

    from generator import usage

    model, batch, targets = small_cnn(seed=2), images(5, shape=(12, 12, 1)), [0, 1, 2, 0, 1]
    library = Saliency(model, model_modifier=ReplaceToLinear(), clone=True)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore")
        vanilla = library(CategoricalScore(targets), batch, normalize_map=False)
        smooth = []
        for image, target in zip(batch, targets):
            np.random.seed(7)
            smooth.append(library(CategoricalScore([target]), image[None], smooth_samples=6, smooth_noise=0.3,
                                  normalize_map=False)[0])
    smooth = np.stack(smooth)
    calls, counted = usage.TOTAL.calls, usage.TOTAL.images
    np.testing.assert_allclose(compute_saliency(model, batch, targets), vanilla, rtol=1e-5, atol=1e-7)
    ours = compute_smoothgrad(model, batch, targets, samples=6, noise=0.3, seed=7)
    np.testing.assert_allclose(ours, smooth, rtol=1e-4, atol=1e-6 * np.abs(smooth).max())
    # One compiled call for the 5 images, one for their 30 noisy copies.
    assert (usage.TOTAL.calls - calls, usage.TOTAL.images - counted) == (2, 5 + 30)


def test_saliency_figure_shows_the_normalised_maps_per_row():
    rng = np.random.default_rng(0)
    faces = rng.uniform(0, 1, (3, 6, 6, 1)).astype(np.float32)
    saliency = rng.uniform(0, 5, (3, 6, 6)).astype(np.float32)
    smooth = rng.uniform(0, 2, (3, 6, 6)).astype(np.float32)
    grid = plot_saliency(faces, {"saliency": saliency, "smoothgrad": smooth})
    assert (grid.rows, grid.columns) == (3, 4)
    for row in range(3):
        lead = normalise_maps(saliency)[row]
        expected = [rgb(faces[row]), attribution(lead), overlay(faces[row], lead),
                    attribution(normalise_maps(smooth)[row])]
        for column, cell in enumerate(expected):
            np.testing.assert_array_equal(grid.image(row, column, (6, 6)), to_bytes(cell), err_msg=(row, column))
