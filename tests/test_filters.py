"""Filter patterns by gradient ascent, feature maps, and their shared grid order."""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from scipy.signal import correlate2d  # noqa: E402

from generator.explain.common import rescale_each  # noqa: E402
from generator.explain.feature_maps import compute_feature_maps  # noqa: E402
from generator.explain.filters import compute_filter_patterns  # noqa: E402
from generator.figures.common import attribution, rgb, to_bytes  # noqa: E402
from generator.figures.filters import grid_position, plot_feature_maps, plot_filter_grid  # noqa: E402

SIZE = 20


def stripes(n, seed=0):
    """Horizontal (class 0) and vertical (class 1) stripes of random period and phase, plus noise."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 2, n)
    grid = np.arange(SIZE, dtype=np.float32)
    images = []
    for label in labels:
        period, phase = rng.uniform(3, 7), rng.uniform(0, 2 * np.pi)
        wave = 0.5 + 0.5 * np.sin(2 * np.pi * grid / period + phase)
        image = np.tile(wave[:, None], (1, SIZE)) if label == 0 else np.tile(wave[None, :], (SIZE, 1))
        images.append(image + rng.normal(0, 0.1, image.shape))
    return np.clip(np.array(images), 0, 1)[..., None].astype(np.float32), labels


@pytest.fixture(scope="module")
def trained():
    keras.utils.set_random_seed(0)
    inputs = keras.Input((SIZE, SIZE, 1))
    x = keras.layers.Conv2D(8, 3, activation="relu", name="conv1")(inputs)
    x = keras.layers.Conv2D(8, 3, activation="relu", name="conv2")(x)
    x = keras.layers.GlobalAveragePooling2D()(keras.layers.MaxPooling2D()(x))
    model = keras.Model(inputs, keras.layers.Dense(2, activation="softmax")(x))
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    images, labels = stripes(256)
    history = model.fit(images, labels, epochs=4, batch_size=32, verbose=0)
    assert history.history["accuracy"][-1] > 0.8
    return model


def test_ascent_raises_every_live_filter_far_beyond_start_noise(trained):
    result = compute_filter_patterns(trained, "conv2", steps=60, seed=0)
    starts = np.stack([compute_filter_patterns(trained, "conv2", steps=0, seed=s).start_activation
                       for s in range(1, 6)])
    assert result.patterns.shape == (8, SIZE, SIZE, 1) and result.patterns.dtype == np.float32
    assert 0.0 <= result.patterns.min() and result.patterns.max() <= 1.0
    live = ~result.dead
    assert live.sum() >= 4
    gain = result.final_activation - starts.mean(axis=0)
    margin = np.maximum(5 * starts.std(axis=0), 0.2 * np.abs(result.final_activation))
    assert (gain[live] > margin[live]).all(), (gain, margin)
    # the activations reported are the layer's mean outputs on the returned patterns
    own = [compute_feature_maps(trained, "conv2", p)[i].mean() for i, p in enumerate(result.patterns)]
    np.testing.assert_allclose(result.final_activation, own, rtol=1e-4, atol=1e-6)


def test_same_seed_same_patterns_and_the_model_is_untouched(trained):
    first = compute_filter_patterns(trained, "conv1", steps=20, seed=7)
    again = compute_filter_patterns(trained, "conv1", steps=20, seed=7)
    other = compute_filter_patterns(trained, "conv1", steps=20, seed=8)
    np.testing.assert_array_equal(first.patterns, again.patterns)
    np.testing.assert_array_equal(first.final_activation, again.final_activation)
    assert not np.allclose(first.patterns, other.patterns)
    assert trained.get_layer("conv1").activation is keras.activations.relu


def test_constructed_dead_filters_are_reported(trained):
    baseline = compute_filter_patterns(trained, "conv2", steps=30, seed=0)
    broken = keras.models.clone_model(trained)
    broken.set_weights(trained.get_weights())
    kernel, bias = broken.get_layer("conv2").get_weights()
    kernel[..., :2] = 0.0
    bias[0], bias[1] = -1.0, 0.5  # silent forever; constant output
    broken.get_layer("conv2").set_weights([kernel, bias])
    result = compute_filter_patterns(broken, "conv2", steps=30, seed=0)
    assert set(np.flatnonzero(result.dead)) == {0, 1} | set(np.flatnonzero(baseline.dead))
    assert result.final_activation[0] == 0 and result.final_activation[1] == pytest.approx(0.5)
    np.testing.assert_array_equal(result.patterns[2:], baseline.patterns[2:])


LINE = np.array([[-1, -1, -1], [2, 2, 2], [-1, -1, -1]], np.float32) / 3
KERNELS = [LINE, LINE.T, np.eye(3) - 1 / 3, np.fliplr(np.eye(3)) - 1 / 3]


@pytest.fixture(scope="module", params=["conv-relu", "conv-bn-relu"])
def oriented(request):
    """Conv layer whose filter i detects one orientation (horizontal, vertical, two diagonals).

    Its response is relu(correlation - 0.1): from the conv's own activation and bias, or
    from a bias-free linear conv followed by BatchNormalization (shift -0.1) and a ReLU layer.
    """
    inputs = keras.Input((12, 12, 1))
    kernel = np.stack(KERNELS, axis=-1)[:, :, None, :].astype(np.float32)
    if request.param == "conv-relu":
        conv = keras.layers.Conv2D(4, 3, activation="relu", name="edges")
        x = conv(inputs)
        conv.set_weights([kernel, np.full(4, -0.1, np.float32)])
    else:
        conv = keras.layers.Conv2D(4, 3, use_bias=False, name="edges")
        norm = keras.layers.BatchNormalization(epsilon=1e-3)
        x = keras.layers.Activation("relu")(norm(conv(inputs)))
        conv.set_weights([kernel])
        norm.set_weights([np.ones(4), np.full(4, -0.1), np.zeros(4), np.full(4, 1 - 1e-3)])
    x = keras.layers.GlobalAveragePooling2D()(x)
    return keras.Model(inputs, keras.layers.Dense(2, activation="softmax")(x))


def test_pattern_i_drives_filter_i_and_map_i_is_filter_i(oriented):
    result = compute_filter_patterns(oriented, "edges", steps=60, seed=0)
    assert not result.dead.any()
    response = np.array([compute_feature_maps(oriented, "edges", p).mean(axis=(1, 2))
                         for p in result.patterns])  # [pattern, filter]
    np.testing.assert_array_equal(response.argmax(axis=0), np.arange(4))
    image = np.random.default_rng(3).uniform(0, 1, (12, 12, 1)).astype(np.float32)
    maps = compute_feature_maps(oriented, "edges", image)
    assert maps.shape == (4, 10, 10)
    for i, kernel in enumerate(KERNELS):
        expected = np.maximum(correlate2d(image[..., 0], kernel, mode="valid") - 0.1, 0)
        np.testing.assert_allclose(maps[i], expected, rtol=1e-4, atol=1e-5)


def test_both_grids_put_filter_i_in_the_same_cell():
    rng = np.random.default_rng(0)
    patterns = rng.uniform(0, 1, (11, 6, 6, 1)).astype(np.float32)
    maps = rng.uniform(0, 3, (11, 4, 4)).astype(np.float32)
    dead = np.zeros(11, bool)
    dead[4] = True
    grids = [plot_filter_grid(patterns, ncols=4, dead=dead), plot_feature_maps(maps, ncols=4)]
    shown = rescale_each(patterns)[..., 0]
    shown[4] = 0.5
    expected = [[rgb(p) for p in shown], [attribution(m) for m in rescale_each(maps)]]
    for grid, cells in zip(grids, expected):
        assert (grid.rows, grid.columns) == (3, 4)
        for i in range(11):
            row, col = grid_position(i, ncols=4)
            shape = cells[i].shape[:2]
            np.testing.assert_array_equal(grid.image(row - 1, col - 1, shape), to_bytes(cells[i]))
        assert (grid.cell(2, 3) == 255).all()   # the twelfth cell is blank
    assert grids[0].pixels.shape == grids[1].pixels.shape   # 6x6 patterns and 4x4 maps in the same slots


@pytest.fixture(scope="module", params=["sep-bn-relu", "sep-relu", "sep-bn-prelu"])
def separable(request):
    """A seeded model whose `sep` layer is a SeparableConv2D: with a BatchNormalization (folded)
    and a ReLU layer after it, with its own ReLU, or with a PReLU (a slope per channel)."""
    keras.utils.set_random_seed(1)
    inputs = keras.Input((16, 16, 1))
    x = keras.layers.Conv2D(4, 3, activation="relu")(inputs)
    if request.param == "sep-relu":
        x = keras.layers.SeparableConv2D(6, 3, strides=2, padding="same", activation="relu", name="sep")(x)
    else:
        x = keras.layers.BatchNormalization()(keras.layers.SeparableConv2D(6, 3, padding="same", name="sep")(x))
        x = keras.layers.ReLU()(x) if request.param == "sep-bn-relu" else keras.layers.PReLU()(x)
    x = keras.layers.GlobalAveragePooling2D()(x)
    model = keras.Model(inputs, keras.layers.Dense(2, activation="softmax")(x))
    norm = [layer for layer in model.layers if isinstance(layer, keras.layers.BatchNormalization)]
    for layer in norm:   # a normalisation that changes the response, so folding it matters
        layer.set_weights([np.linspace(0.5, 2, 6), np.linspace(-0.2, 0.2, 6), np.full(6, 0.1), np.full(6, 2.0)])
    return request.param, model


def test_a_separable_layer_s_own_channels_give_the_patterns_of_every_channel(separable, monkeypatch):
    """The ascent of a SeparableConv2D reads only each input's own channel of the pointwise step
    where the activation maps each value alone; the patterns are those of computing every channel."""
    import generator.explain.filters as filters

    kind, model = separable
    pre, activation = filters._layer_models(model, "sep")
    own = filters._separable_response(pre) is not None and filters._value_by_value(activation)
    assert own == (kind != "sep-bn-prelu")
    fast = compute_filter_patterns(model, "sep", steps=30, seed=0)
    monkeypatch.setattr(filters, "_separable_response", lambda pre: None)
    every = compute_filter_patterns(model, "sep", steps=30, seed=0)
    assert (~every.dead).sum() >= 3
    np.testing.assert_allclose(fast.patterns, every.patterns, atol=1e-4)
    np.testing.assert_allclose(fast.final_activation, every.final_activation, rtol=1e-4, atol=1e-6)
    np.testing.assert_array_equal(fast.dead, every.dead)
    own_maps = [compute_feature_maps(model, "sep", p)[i].mean() for i, p in enumerate(fast.patterns)]
    np.testing.assert_allclose(fast.final_activation, own_maps, rtol=1e-4, atol=1e-6)
