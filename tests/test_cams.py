"""Grad-CAM family: where the maps fall on a model that only reads the left half, and the map contract."""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from generator.explain.cams import METHODS, compute_cams, compute_class_mean_cams  # noqa: E402
from generator.figures.cams import plot_cams, plot_class_mean_cams  # noqa: E402
from generator.figures.common import attribution, overlay, rgb, to_bytes  # noqa: E402
from tests.left_half import SIZE, left_half_images, left_half_model, left_share  # noqa: E402


@pytest.fixture(scope="module")
def model():
    return left_half_model()


@pytest.fixture(scope="module")
def data():
    return left_half_images(6)


@pytest.fixture(scope="module")
def cams(model, data):
    images, labels = data
    return compute_cams(model, images, labels, "bars")


def test_the_model_reads_the_bars(model, data):
    images, labels = data
    assert (model.predict(images, verbose=0).argmax(axis=1) == labels).all()


@pytest.mark.parametrize("method", METHODS)
def test_maps_fall_on_the_left_half(cams, method):
    share = left_share(cams[method])
    assert (share >= 0.7).all(), share


@pytest.mark.parametrize("method", METHODS)
def test_maps_are_finite_in_unit_range_and_scaled_per_image(cams, method):
    maps = cams[method]
    assert maps.shape == (6, SIZE, SIZE) and maps.dtype == np.float32
    assert np.isfinite(maps).all()
    np.testing.assert_allclose(maps.max(axis=(1, 2)), 1.0, atol=1e-6)
    np.testing.assert_allclose(maps.min(axis=(1, 2)), 0.0, atol=1e-6)


def test_gradcam_peaks_on_the_bar(cams, data):
    images, _ = data
    for image, grad_map in zip(images, cams["gradcam"]):
        bar = image[..., 0] == 1.0
        assert grad_map[bar].mean() > 3 * grad_map[~bar].mean()


def test_the_wrong_class_gets_no_map_on_a_clean_bar(model, data):
    images, labels = data
    maps = compute_cams(model, images, 1 - labels, "bars", methods=("gradcam",))["gradcam"]
    assert np.all(maps == 0.0)  # ReLU of a negative evidence map, zero-range guard


def test_constant_images_give_finite_maps(model):
    constant = np.stack([np.zeros((SIZE, SIZE, 1)), np.full((SIZE, SIZE, 1), 0.5)]).astype(np.float32)
    maps = compute_cams(model, constant, [0, 1], "bars")
    for method, values in maps.items():
        assert values.shape == (2, SIZE, SIZE), method
        assert np.isfinite(values).all() and values.min() >= 0.0 and values.max() <= 1.0, method


def test_batch_independent(model, data, cams):
    images, labels = data
    alone = compute_cams(model, images[3:4], labels[3:4], "bars", methods=("gradcam", "layercam"))
    chunked = compute_cams(model, images, labels, "bars", methods=("gradcam",), batch_size=4)
    for method in ("gradcam", "layercam"):
        np.testing.assert_allclose(alone[method][0], cams[method][3], atol=1e-5)
    np.testing.assert_allclose(chunked["gradcam"], cams["gradcam"], atol=1e-5)


def test_callers_model_is_untouched(model, data, cams):
    images, _ = data
    assert model.get_layer("predictions").activation is keras.activations.softmax
    np.testing.assert_allclose(model.predict(images, verbose=0).sum(axis=1), 1.0, atol=1e-5)


def test_dense_head_64px_and_three_channels():
    keras.utils.set_random_seed(1)
    inputs = keras.Input((64, 64, 3))
    x = keras.layers.Conv2D(4, 3, activation="relu", name="conv_a")(inputs)
    x = keras.layers.MaxPooling2D(4)(x)
    x = keras.layers.Conv2D(6, 3, activation="relu", name="conv_b")(x)
    x = keras.layers.Flatten()(x)
    x = keras.layers.Dense(16, activation="relu")(x)
    x = keras.layers.Dense(8, activation="relu")(x)
    model = keras.Model(inputs, keras.layers.Dense(3, activation="softmax")(x))
    images = np.random.default_rng(2).random((3, 64, 64, 3)).astype(np.float32)
    maps = compute_cams(model, images, [0, 1, 2], "conv_b")
    for method, values in maps.items():
        assert values.shape == (3, 64, 64), method
        assert np.isfinite(values).all() and 0.0 <= values.min() and values.max() <= 1.0, method
        assert (values.reshape(3, -1).std(axis=1) > 0).any(), method


def test_score_cam_equals_tf_keras_vis_and_counts_its_calls():
    """The compiled ScoreCam computes what tf-keras-vis's Scorecam does, a batch of images per call."""
    import warnings

    from tf_keras_vis.gradcam import Gradcam
    from tf_keras_vis.scorecam import Scorecam
    from tf_keras_vis.utils.model_modifiers import ReplaceToLinear
    from tf_keras_vis.utils.scores import CategoricalScore

    from generator import usage
    from generator.explain.cams import MASKED_BUDGET, ScoreCam

    keras.utils.set_random_seed(3)
    inputs = keras.Input((20, 20, 3))
    x = keras.layers.Conv2D(5, 3, activation="relu", name="conv")(inputs)   # 18x18, upsampled to 20x20
    x = keras.layers.Flatten()(keras.layers.MaxPooling2D(3)(x))
    model = keras.Model(inputs, keras.layers.Dense(4, activation="softmax")(x))
    linear = Gradcam(model, model_modifier=ReplaceToLinear(), clone=True).model
    images = np.random.default_rng(4).random((40, 20, 20, 3)).astype(np.float32)
    targets = np.arange(40) % 4

    calls, counted = usage.TOTAL.calls, usage.TOTAL.images
    ours = ScoreCam(linear, "conv")(images, targets)
    step = MASKED_BUDGET // (5 * 20 * 20 * 3)
    assert usage.TOTAL.calls - calls == -(-40 // step)
    assert usage.TOTAL.images - counted == 40 * (5 + 1)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore")
        theirs = Scorecam(linear, model_modifier=None, clone=False)(
            CategoricalScore(targets.tolist()), images, penultimate_layer="conv",
            seek_penultimate_conv_layer=False, expand_cam=False, normalize_cam=False)
    assert ours.shape == (40, 18, 18) and np.abs(ours).max() > 0
    np.testing.assert_allclose(ours, theirs, rtol=1e-4, atol=1e-6 * np.abs(theirs).max())


def test_score_cam_compiles_once_for_every_batch_size(model, data):
    """One trace serves batches of any length (no retracing), and each image's map is its own."""
    from generator.explain.cams import ScoreCam

    images, labels = data
    score_cam = ScoreCam(model, "bars")
    maps = [score_cam(images[start:stop], labels[start:stop]) for start, stop in ((0, 1), (1, 4), (4, 6))]
    assert score_cam._maps.experimental_get_tracing_count() == 1
    one_by_one = np.concatenate([score_cam(images[i:i + 1], labels[i:i + 1]) for i in range(len(images))])
    np.testing.assert_allclose(np.concatenate(maps), one_by_one, rtol=1e-5, atol=1e-7)
    assert score_cam._maps.experimental_get_tracing_count() == 1


def test_scorecam_can_weigh_only_each_images_most_varied_channels(model, data):
    from generator import usage
    from generator.explain.cams import ScoreCam
    from generator.explain.common import linear_clone

    images, labels = data
    full = compute_cams(model, images, labels, "bars", methods=("scorecam",))["scorecam"]
    before = usage.TOTAL.images
    one = compute_cams(model, images, labels, "bars", methods=("scorecam",), scorecam_channels=1)["scorecam"]
    assert usage.TOTAL.images - before == len(images) * (1 + 1)   # each image, then one masked copy
    # Each image fires one bar detector; the other channel is zero everywhere and adds nothing.
    np.testing.assert_allclose(one, full, atol=1e-6)
    # With both bars, the more varied channel alone is weighed: the map is that channel's activation.
    crossed = images[:1].copy()
    crossed[0, 2:9, 2, 0] = 1.0
    activations = keras.Model(model.inputs[0], model.get_layer("bars").output)(crossed).numpy()[0]
    top = int(np.argmax(activations.std(axis=(0, 1))))
    raw = ScoreCam(linear_clone(model), "bars", max_channels=1)(crossed, labels[:1])[0]
    assert np.corrcoef(raw.ravel(), activations[..., top].ravel())[0, 1] > 0.999
    assert not np.allclose(ScoreCam(linear_clone(model), "bars")(crossed, labels[:1])[0] / raw.max(),
                           raw / raw.max(), atol=1e-3)


def test_class_means(model, data):
    images, labels = data
    predictions = labels.copy()
    predictions[labels == 1] = 0          # no vertical-bar image is "correct"
    means = compute_class_mean_cams(model, images, labels, predictions, "bars", per_class=2,
                                    methods=("gradcam", "layercam"))
    assert means.counts == (2, 0)
    first_two = np.flatnonzero(labels == 0)[:2]
    expected = compute_cams(model, images[first_two], labels[first_two], "bars",
                            methods=("gradcam",))["gradcam"].mean(axis=0)
    np.testing.assert_allclose(means.means["gradcam"][0], expected, atol=1e-6)
    assert means.means["gradcam"][1] is None and means.means["layercam"][1] is None
    assert np.isfinite(means.means["layercam"][0]).all()


def test_class_means_take_the_maps_they_are_given(model, data):
    images, labels = data
    methods = ("gradcam", "scorecam")
    plain = compute_class_mean_cams(model, images, labels, labels, "bars", per_class=2, methods=methods)
    first = np.flatnonzero(labels == 0)[:1]
    computed = compute_cams(model, images[first], labels[first], "bars", methods=methods)
    again = compute_class_mean_cams(model, images, labels, labels, "bars", per_class=2, methods=methods,
                                    known=(first, computed))
    for method in methods:
        np.testing.assert_allclose(again.means[method][0], plain.means[method][0], atol=1e-6)
    # A given map is taken as it is, not computed again.
    zeros = {method: np.zeros_like(maps) for method, maps in computed.items()}
    taken = compute_class_mean_cams(model, images, labels, labels, "bars", per_class=2, methods=methods,
                                    known=(first, zeros))
    second = np.flatnonzero(labels == 0)[1]
    expected = compute_cams(model, images[second:second + 1], labels[second:second + 1], "bars",
                            methods=("gradcam",))["gradcam"][0] / 2
    np.testing.assert_allclose(taken.means["gradcam"][0], expected, atol=1e-6)
    assert taken.counts == plain.counts


def test_plots(data, cams):
    images, _ = data
    shape = images.shape[1:3]
    grid = plot_cams(images[:2], cams)
    assert (grid.rows, grid.columns) == (2, 1 + len(METHODS))
    for row in range(2):
        np.testing.assert_array_equal(grid.image(row, 0, shape), to_bytes(rgb(images[row])))
        for column, method in enumerate(METHODS, start=1):   # each map over its image, in the methods' order
            np.testing.assert_array_equal(grid.image(row, column, shape),
                                          to_bytes(overlay(images[row], cams[method][row])), err_msg=method)
    means = {"gradcam": [cams["gradcam"][0], None], "scorecam": [cams["scorecam"][0], None]}
    grid = plot_class_mean_cams(means)
    assert (grid.rows, grid.columns) == (2, 2)
    np.testing.assert_array_equal(grid.image(0, 0, shape), to_bytes(attribution(cams["gradcam"][0])))
    np.testing.assert_array_equal(grid.image(1, 0, shape), to_bytes(attribution(cams["scorecam"][0])))
    assert (grid.cell(0, 1) == 255).all() and (grid.cell(1, 1) == 255).all()   # no image of the class: blank


def test_the_default_cam_layer_is_the_deepest_feature_block_not_the_class_score_layer():
    """A Keras 2 mini-Xception ends in Conv2D(7) -> global average pooling -> softmax: its 7
    channels are the class scores, so the maps are taken at the block before it (the residual Add)."""
    from pathlib import Path

    from generator.explain.common import cam_layer_candidates, resolve_cam_layer
    from generator.model.architectures import build_model
    from generator.model.loading import load_user_model

    xception = load_user_model(Path(__file__).parent / "fixtures" / "mini_xception_k2.h5", 7).model
    chosen = resolve_cam_layer(xception, None, "methods.cams.layer")
    assert type(xception.get_layer(chosen.name)).__name__ == "Add" and chosen.grid == (31, 31)
    assert "conv2d_2" not in [c.name for c in cam_layer_candidates(xception)]      # the class-score conv
    small = build_model("small", (48, 48, 1), 7)
    assert resolve_cam_layer(small, None, "methods.cams.layer").name == "relu3_1"
    assert resolve_cam_layer(small, "conv2_1", "methods.cams.layer").name == "relu2_1"
    with pytest.raises(Exception, match="methods.cams.layer"):
        resolve_cam_layer(small, "flatten", "methods.cams.layer")


def test_a_layer_followed_only_by_pooling_has_a_uniform_gradient(model, data):
    from generator.explain.cams import gradient_is_uniform

    images, labels = data
    inputs = keras.Input((SIZE, SIZE, 1))
    features = keras.layers.Conv2D(3, 3, padding="same", name="features")(inputs)
    pooled = keras.Model(inputs, keras.layers.Dense(2, activation="softmax")(
        keras.layers.GlobalAveragePooling2D()(features)))
    assert gradient_is_uniform(pooled, images, labels, "features")
    assert not gradient_is_uniform(model, images, labels, "bars")       # max pooling: one position counts


def test_gradient_cams_equal_tf_keras_vis_from_one_gradient():
    """Grad-CAM, Grad-CAM++ and Layer-CAM of one compiled call are tf-keras-vis's maps; the other
    methods on the same images and weights reuse that call, and changed weights are noticed."""
    import warnings

    from tf_keras_vis.gradcam import Gradcam
    from tf_keras_vis.gradcam_plus_plus import GradcamPlusPlus
    from tf_keras_vis.layercam import Layercam
    from tf_keras_vis.utils.model_modifiers import ReplaceToLinear
    from tf_keras_vis.utils.scores import CategoricalScore

    from generator import usage
    from generator.explain.cams import GradientCams

    keras.utils.set_random_seed(5)
    inputs = keras.Input((16, 16, 2))
    x = keras.layers.Conv2D(6, 3, activation="relu", name="conv")(inputs)
    x = keras.layers.Dense(4)(keras.layers.Flatten()(keras.layers.MaxPooling2D(2)(x)))
    model = keras.Model(inputs, keras.layers.Activation("softmax")(keras.layers.Activation("tanh")(x)))
    linear = Gradcam(model, model_modifier=ReplaceToLinear(), clone=True).model
    images = np.random.default_rng(6).random((12, 16, 16, 2)).astype(np.float32)
    targets = np.arange(12) % 4
    cams = GradientCams(linear, "conv")
    calls = usage.TOTAL.calls
    ours = {method: cams(method, images, targets) for method in ("gradcam", "gradcam++", "layercam")}
    assert usage.TOTAL.calls - calls == 1
    kinds = {"gradcam": Gradcam, "gradcam++": GradcamPlusPlus, "layercam": Layercam}
    for method, kind in kinds.items():
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore")
            theirs = kind(linear, model_modifier=None, clone=False)(
                CategoricalScore(targets.tolist()), images, penultimate_layer="conv",
                seek_penultimate_conv_layer=False, expand_cam=False, normalize_cam=False)
        assert ours[method].shape == (12, 14, 14) and np.abs(ours[method]).max() > 0, method
        np.testing.assert_allclose(ours[method], theirs, rtol=1e-4, atol=1e-5 * np.abs(theirs).max(), err_msg=method)
    linear.get_layer("conv").kernel.assign(np.asarray(linear.get_layer("conv").kernel) * -1.0)
    assert not np.allclose(cams("gradcam", images, targets), ours["gradcam"])
    assert usage.TOTAL.calls - calls == 2
