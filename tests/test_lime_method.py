"""LIME: superpixels, reproducibility, agreement with lime's own sampling loop, and the figure."""

import os
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from generator.errors import UserError  # noqa: E402
from generator.explain.lime_method import LimeResult, batch_classifier, compute_lime, segment_image  # noqa: E402
from generator.figures.common import to_bytes  # noqa: E402
from generator.figures.lime_overlay import lime_overlay, plot_lime, weight_colours  # noqa: E402
from tests.left_half import SIZE, left_half_images, left_half_model  # noqa: E402

FER = Path(__file__).resolve().parents[2] / "shared/data/fer2013"


@pytest.fixture(scope="module")
def model():
    return left_half_model()


@pytest.fixture(scope="module")
def data():
    return left_half_images(4)


@pytest.fixture(scope="module")
def results(model, data):
    images, labels = data
    return compute_lime(model, images, labels, num_samples=400, seed=0)


def test_positive_weight_falls_on_the_left_half(results):
    for result in results:
        positive = np.maximum(result.weight_map, 0.0)
        assert positive[:, :SIZE // 2].sum() >= 0.7 * positive.sum()


def test_the_bar_superpixels_carry_the_largest_weight(results, data):
    images, _ = data
    for image, result in zip(images, results):
        on_bar = np.unique(result.segments[image[..., 0] == 1.0])
        assert np.argmax(result.weights) in on_bar
        assert result.weights[on_bar].max() > 0.1   # hiding the bar drops the probability


def test_result_fields(results, data):
    images, labels = data
    for result, label in zip(results, labels):
        segment_count = result.segments.max() + 1
        assert result.target == label and result.weights.shape == (segment_count,)
        assert set(np.unique(result.segments)) == set(range(segment_count))
        assert np.isfinite(result.weights).all() and 0.0 <= result.score <= 1.0


def test_same_seed_same_weights_other_seed_other_weights(model, data, results):
    images, labels = data
    again = compute_lime(model, images[:1], labels[:1], num_samples=400, seed=0)[0]
    other = compute_lime(model, images[:1], labels[:1], num_samples=400, seed=1)[0]
    np.testing.assert_array_equal(again.weights, results[0].weights)
    np.testing.assert_array_equal(again.segments, results[0].segments)
    assert np.abs(other.weights - results[0].weights).max() > 1e-3


def test_result_does_not_depend_on_batch_size_or_neighbours(model, data, results):
    images, labels = data
    alone = compute_lime(model, images[2:3], labels[2:3], num_samples=400, batch_size=37)[0]
    np.testing.assert_allclose(alone.weights, results[2].weights, atol=1e-6)


def test_equals_lime_with_its_own_sampling_loop(model, data):
    from lime.lime_image import LimeImageExplainer

    images, labels = data
    segments = segment_image(images[0])
    classify = batch_classifier(model, images.shape[1:])
    reference = LimeImageExplainer(random_state=5).explain_instance(
        images[0, ..., 0].astype(np.float64), classify, labels=(0,), top_labels=None,
        hide_color=0.0, num_samples=200, batch_size=10, segmentation_fn=lambda _: segments,
        random_seed=5)
    ours = compute_lime(model, images[:1], [0], num_samples=200, seed=5)[0]
    expected = np.zeros_like(ours.weights)
    for segment, weight in reference.local_exp[0]:
        expected[segment] = weight
    np.testing.assert_allclose(ours.weights, expected, atol=1e-6)
    assert ours.intercept == pytest.approx(reference.intercept[0], abs=1e-6)


def test_fill_none_uses_superpixel_means(model, data):
    images, labels = data
    result = compute_lime(model, images[:1], labels[:1], num_samples=200, fill=None)[0]
    on_bar = np.unique(result.segments[images[0, ..., 0] == 1.0])
    assert np.argmax(result.weights) in on_bar   # a bar averaged with its dark segment vanishes


def test_64px_three_channel_model():
    keras.utils.set_random_seed(3)
    inputs = keras.Input((64, 64, 3))
    x = keras.layers.Conv2D(4, 3, strides=2, activation="relu")(inputs)
    x = keras.layers.GlobalAveragePooling2D()(x)
    model = keras.Model(inputs, keras.layers.Dense(3, activation="softmax")(x))
    images = np.random.default_rng(0).random((2, 64, 64, 3)).astype(np.float32)
    results = compute_lime(model, images, [2, 0], num_samples=50)
    for result in results:
        assert result.segments.shape == (64, 64)
        assert 20 <= len(result.weights) <= 80 and np.isfinite(result.weights).all()


def test_segmentation_ignores_value_scale_and_rejects_unknown_algorithms(data):
    images, _ = data
    np.testing.assert_array_equal(segment_image(images[0]), segment_image(images[0] * 255 - 128))
    with pytest.raises(UserError, match="lime.segmentation.algorithm"):
        segment_image(images[0], {"algorithm": "watershed"})


@pytest.mark.skipif(not FER.is_dir(), reason="no FER2013 samples in ../shared")
def test_default_superpixels_on_real_faces():
    from PIL import Image

    files = sorted((FER / "images/train").glob("*/*.png"))[::5][:12]
    for path in files:
        face = np.asarray(Image.open(path), dtype=np.float32)[..., None] / 255.0
        assert 20 <= segment_image(face).max() + 1 <= 80, path.name


def test_overlay_colours_by_sign_and_strength():
    segments = np.zeros((4, 4), np.int64)
    segments[:, 2:] = 1
    result = LimeResult(0, segments, np.array([1.0, -0.5]), 0.0, 1.0)
    overlay = lime_overlay(np.full((4, 4, 1), 0.5), result, "green-red", alpha=0.6)
    np.testing.assert_allclose(overlay[0, 0], [0.2, 0.68, 0.2])                         # full green tint
    np.testing.assert_allclose(overlay[0, 3], [0.5 * 0.7 + 0xE6 / 255 * 0.3, 0.35, 0.35])  # half red tint
    overlay = lime_overlay(np.full((4, 4, 1), 0.5), result, alpha=0.6)                     # cvd-safe by default
    np.testing.assert_allclose(overlay[0, 0], 0.4 * 0.5 + 0.6 * np.array([0x00, 0x72, 0xB2]) / 255)   # blue
    np.testing.assert_allclose(overlay[0, 3], 0.7 * 0.5 + 0.3 * np.array([0xD5, 0x5E, 0x00]) / 255)   # orange


def test_plot_lime(results, data):
    images, _ = data
    shape = images.shape[1:3]
    grid = plot_lime(images[:2], results[:2])
    assert (grid.rows, grid.columns) == (2, 3)
    for row in range(2):
        np.testing.assert_array_equal(grid.image(row, 1, shape), to_bytes(lime_overlay(images[row], results[row])))
        np.testing.assert_array_equal(grid.image(row, 2, shape), to_bytes(weight_colours(results[row])))
    assert plot_lime(images[:2], results[:2], heatmap=False).columns == 2
