"""Section 5 measures on models and maps whose answers are known, and their figures."""

import os
import re

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from generator.analysis.trust import (  # noqa: E402
    compute_agreement,
    compute_deletion_insertion,
    compute_localisation,
    compute_randomisation_check,
    judged,
    judged_stages,
    localisation_lift,
    low_localisation_flags,
    merged,
    randomisation_stages,
    rank_correlation,
)
from generator.analysis.trust.deletion import baseline_images, pixel_ranks, step_images  # noqa: E402
from generator.config import AGREEMENT_THRESHOLD, RANDOMISATION_THRESHOLD  # noqa: E402
from generator.explain.saliency import compute_saliency  # noqa: E402
from generator.figures.trust import (  # noqa: E402
    plot_deletion_insertion,
    plot_randomisation_correlations,
    plot_randomisation_maps,
)

SIZE = 16
MARGIN = 0.1


# --- deletion and insertion --------------------------------------------------------------------

def evidence_model():
    """Softmax over 2 classes: logit 0 = 0.15 x the sum of a 5x5 pixel block, logit 1 = 0."""
    support = np.zeros((SIZE, SIZE), bool)
    support[4:9, 5:10] = True
    inputs = keras.Input((SIZE, SIZE, 1))
    dense = keras.layers.Dense(2, activation="softmax")
    model = keras.Model(inputs, dense(keras.layers.Flatten()(inputs)))
    kernel = np.zeros((SIZE * SIZE, 2), np.float32)
    kernel[support.ravel(), 0] = 0.15
    dense.set_weights([kernel, np.zeros(2, np.float32)])
    return model, support


@pytest.fixture(scope="module")
def evidence():
    model, support = evidence_model()
    rng = np.random.default_rng(0)
    images = rng.uniform(0.5, 1.0, (8, SIZE, SIZE, 1)).astype(np.float32)
    maps = {"truth": np.broadcast_to(support, (8, SIZE, SIZE)).astype(np.float32),
            "noise": rng.random((8, SIZE, SIZE)).astype(np.float32)}
    result = compute_deletion_insertion(model, images, 0, maps, steps=20, seed=0, baseline="zero")
    return model, images, maps, result


def test_the_true_map_beats_the_random_order(evidence):
    _, _, _, result = evidence
    truth = result.deletion["truth"], result.insertion["truth"]
    assert truth[0].mean_auc < result.random_deletion.mean_auc - 2 * MARGIN
    assert truth[1].mean_auc > result.random_insertion.mean_auc + MARGIN
    # Once the 25 evidence pixels (10% of 256) are gone, logit 0 is 0: probability 1/2.
    np.testing.assert_allclose(truth[0].mean_curve[2:], 0.5, atol=1e-6)
    assert (truth[0].auc < result.random_deletion.auc).all()


def test_a_noise_map_is_no_better_than_random(evidence):
    _, _, _, result = evidence
    assert abs(result.deletion["noise"].mean_auc - result.random_deletion.mean_auc) < MARGIN
    assert abs(result.insertion["noise"].mean_auc - result.random_insertion.mean_auc) < MARGIN


def test_curve_ends_auc_and_counts(evidence):
    model, images, maps, result = evidence
    np.testing.assert_allclose(result.fractions, np.linspace(0, 1, 21))
    full = model.predict(images, verbose=0)[:, 0]
    for curves in (result.deletion["truth"], result.insertion["noise"], result.random_deletion):
        assert curves.curves.shape == (8, 21)
        np.testing.assert_allclose(curves.auc, np.trapezoid(curves.curves, result.fractions, axis=1),
                                   rtol=1e-5)
        np.testing.assert_allclose(curves.mean_curve, curves.curves.mean(axis=0), rtol=1e-6)
    np.testing.assert_allclose(result.deletion["truth"].curves[:, 0], full, rtol=1e-5)
    np.testing.assert_allclose(result.insertion["truth"].curves[:, -1], full, rtol=1e-5)
    np.testing.assert_allclose(result.insertion["truth"].curves[:, 0], 0.5, atol=1e-6)  # zero image
    # ends once per image, then (2 methods + random) x 2 curves x 19 inner steps per image
    assert result.model_images == 8 * (2 + 3 * 2 * 19)
    assert result.model_calls == 2  # all 464 inner images fit one call (budget: 9765 of 16x16)


def test_batch_size_changes_calls_not_curves(evidence):
    model, images, maps, result = evidence
    small = compute_deletion_insertion(model, images, 0, maps, steps=20, seed=0, baseline="zero",
                                       batch_size=100)
    assert small.model_calls > result.model_calls and small.model_images == result.model_images
    for method in maps:
        np.testing.assert_allclose(small.deletion[method].curves, result.deletion[method].curves, atol=1e-6)
        np.testing.assert_allclose(small.insertion[method].curves, result.insertion[method].curves, atol=1e-6)
    np.testing.assert_allclose(small.random_insertion.curves, result.random_insertion.curves, atol=1e-6)


def test_step_images_by_hand():
    image = np.arange(1, 5, dtype=np.float32).reshape(2, 2, 1)     # [[1, 2], [3, 4]]
    background = np.zeros_like(image)
    ranks = np.array([[3, 0, 1, 2]])                                # pixel 1 first, then 2, 3, 0
    steps = step_images(image, background, ranks, np.array([1, 3]))
    assert steps.shape == (1, 2, 2, 2, 2, 1)
    np.testing.assert_array_equal(steps[0, 0, 0, ..., 0], [[1, 0], [3, 4]])
    np.testing.assert_array_equal(steps[0, 0, 1, ..., 0], [[1, 0], [0, 0]])
    np.testing.assert_array_equal(steps[0, 1, 0, ..., 0], [[0, 2], [0, 0]])
    np.testing.assert_array_equal(steps[0, 1, 1, ..., 0], [[0, 2], [3, 4]])


def test_pixel_ranks_follow_the_map_and_break_ties_at_random():
    maps = np.array([[[0.9, 0.1], [0.5, 0.7]], [[1.0, 1.0], [1.0, 0.0]]])
    ranks = pixel_ranks(maps, np.random.default_rng(0))
    np.testing.assert_array_equal(ranks[0], [0, 3, 2, 1])
    assert ranks[1, 3] == 3 and sorted(ranks[1, :3]) == [0, 1, 2]
    tie_orders = {tuple(pixel_ranks(maps[1:], np.random.default_rng(s))[0]) for s in range(20)}
    assert len(tie_orders) > 1


def test_baselines():
    images = np.random.default_rng(0).uniform(0, 1, (2, 12, 12, 1)).astype(np.float32)
    np.testing.assert_allclose(baseline_images(images, "mean")[:, 3, 5, 0], images.mean(axis=(1, 2, 3)),
                               rtol=1e-6)
    assert not baseline_images(images, "zero").any()
    np.testing.assert_array_equal(baseline_images(images, 0.25), 0.25)
    blurred = baseline_images(images, "blur")
    assert blurred.shape == images.shape and blurred.std() < 0.5 * images.std()
    with pytest.raises(ValueError, match="unknown baseline"):
        baseline_images(images, "noise")


def test_maps_must_match_the_images(evidence):
    model, images, _, _ = evidence
    with pytest.raises(ValueError, match="maps\\['bad'\\]"):
        compute_deletion_insertion(model, images, 0, {"bad": np.zeros((8, 4, 4))})


# --- randomisation -----------------------------------------------------------------------------

def square_images(count: int, seed: int = 0):
    """Class 0: a bright 4x4 square in the top-left quadrant; class 1: bottom-right; dim noise."""
    rng = np.random.default_rng(seed)
    images = rng.uniform(0.0, 0.3, (count, SIZE, SIZE, 1)).astype(np.float32)
    labels = np.arange(count) % 2
    for image, label in zip(images, labels):
        row, col = rng.integers(1, SIZE // 2 - 4, size=2) + (SIZE // 2 if label else 0)
        image[row:row + 4, col:col + 4] = 1.0
    return images, labels


def small_cnn(seed: int = 0):
    keras.utils.set_random_seed(seed)
    inputs = keras.Input((SIZE, SIZE, 1))
    x = keras.layers.Conv2D(4, 3, padding="same", activation="relu", name="conv")(inputs)
    x = keras.layers.MaxPooling2D(2, name="pool")(x)
    x = keras.layers.Flatten(name="flatten")(x)
    x = keras.layers.Dense(8, activation="relu", name="hidden")(x)
    return keras.Model(inputs, keras.layers.Dense(2, activation="softmax", name="out")(x))


@pytest.fixture(scope="module")
def trained():
    model = small_cnn()
    images, labels = square_images(200)
    model.compile(keras.optimizers.Adam(0.01), "sparse_categorical_crossentropy")
    model.fit(images, labels, epochs=8, batch_size=32, verbose=0)
    test_images, test_labels = square_images(8, seed=1)
    return model, test_images, test_labels


def test_the_tiny_model_learned(trained):
    model, images, labels = trained
    assert (model.predict(images, verbose=0).argmax(axis=1) == labels).mean() >= 0.85


def test_randomisation_changes_exactly_the_listed_layers_and_not_the_original(trained):
    model, images, labels = trained
    before = [w.copy() for w in model.get_weights()]
    seen = []

    def record(copy, batch, targets):
        seen.append({layer.name: [w.copy() for w in layer.get_weights()] for layer in copy.layers if layer.weights})
        return batch[..., 0]

    result = compute_randomisation_check(model, images, labels, {"record": record}, RANDOMISATION_THRESHOLD,
                                         layers=["out", "conv"])
    assert result.stages == (("out",), ("conv",)) and len(seen) == 3
    original = {layer.name: layer.get_weights() for layer in model.layers}
    changed = [{name for name, weights in stage.items()
                if any(not np.array_equal(a, b) for a, b in zip(weights, original[name]))} for stage in seen]
    assert changed == [set(), {"out"}, {"out", "conv"}]
    for a, b in zip(before, model.get_weights()):
        np.testing.assert_array_equal(a, b)
    # the same seed draws the same weights
    again = []
    compute_randomisation_check(model, images, labels,
                                {"record": lambda c, b, t: again.append(c.get_weights()) or b[..., 0]},
                                RANDOMISATION_THRESHOLD, layers=["out", "conv"])
    for a, b in zip(again[-1], [w for name in seen[-1] for w in seen[-1][name]]):
        np.testing.assert_array_equal(a, b)


def test_gradients_change_with_the_model_but_the_image_does_not(trained):
    model, images, labels = trained
    explain = {"saliency": compute_saliency, "image": lambda m, batch, targets: batch[..., 0]}
    result = compute_randomisation_check(model, images, labels, explain, RANDOMISATION_THRESHOLD, seed=3)
    assert result.stage_names == ("out", "hidden", "conv")
    np.testing.assert_allclose(result.correlations["image"], 1.0, atol=1e-6)
    assert result.passed == {"saliency": True, "image": False}
    assert result.mean_correlations["saliency"][-1] < result.threshold - 0.1
    assert result.correlations["saliency"].shape == (3, 8)
    np.testing.assert_allclose(result.mean_correlations["saliency"], result.correlations["saliency"].mean(1))
    assert result.example_maps["saliency"].shape == (4, SIZE, SIZE)
    np.testing.assert_allclose(result.example_maps["saliency"][0], compute_saliency(model, images[:1], labels[:1])[0],
                               rtol=1e-5, atol=1e-7)
    assert result.explain_calls == 2 * 4


def test_stages_group_normalisation_with_its_kernel_layer(trained):
    from generator.model.architectures import build_model

    assert randomisation_stages(trained[0]) == [("out",), ("hidden",), ("conv",)]
    assert randomisation_stages(build_model("small", (48, 48, 1), 7)) == [
        ("predictions",), ("dense",), ("conv3_1", "bn3_1"), ("conv2_1", "bn2_1"), ("conv1_1", "bn1_1")]


def test_given_originals_and_checks_of_method_groups_merge_into_one(trained):
    model, images, labels = trained
    explain = {"saliency": compute_saliency, "image": lambda m, b, t: b[..., 0]}
    both = compute_randomisation_check(model, images, labels, explain, RANDOMISATION_THRESHOLD, seed=3)
    assert both.explain_calls == 2 * 4 and set(both.correlations) == {"saliency", "image"}
    given = compute_randomisation_check(model, images, labels, explain, RANDOMISATION_THRESHOLD, seed=3,
                                        original_maps={"saliency": compute_saliency(model, images, labels)})
    assert given.explain_calls == 2 * 4 - 1
    # Each method checked alone draws the same weights, so the merged checks equal the joint one.
    alone = [compute_randomisation_check(model, images, labels, {key: explain[key]}, RANDOMISATION_THRESHOLD,
                                         seed=3) for key in explain]
    joined = merged(*alone)
    for method in explain:
        np.testing.assert_allclose(given.correlations[method], both.correlations[method], atol=1e-5)
        np.testing.assert_allclose(joined.correlations[method], both.correlations[method], atol=1e-5)
        np.testing.assert_array_equal(joined.example_maps[method], both.example_maps[method])
    assert joined.passed == both.passed and joined.explain_calls == both.explain_calls
    np.testing.assert_allclose(both.correlations["image"], 1.0, atol=1e-6)
    assert both.mean_correlations["saliency"][-1] < 0.4
    with pytest.raises(ValueError, match="same stages"):
        merged(both, compute_randomisation_check(model, images, labels, explain, RANDOMISATION_THRESHOLD,
                                                 layers=["out"]))


def test_a_stage_randomises_its_layers_together(trained):
    model, images, labels = trained
    seen = []
    compute_randomisation_check(model, images[:2], labels[:2],
                                {"record": lambda c, b, t: seen.append(c.get_weights()) or b[..., 0]},
                                RANDOMISATION_THRESHOLD, layers=[("out", "conv")])
    names = [layer.name for layer in model.layers for _ in layer.get_weights()]
    changed = {name for name, a, b in zip(names, seen[-1], model.get_weights()) if not np.array_equal(a, b)}
    assert changed == {"out", "conv"}


def test_a_verdict_follows_the_threshold_alone(trained):
    model, images, labels = trained
    result = compute_randomisation_check(model, images, labels, {"saliency": compute_saliency},
                                         RANDOMISATION_THRESHOLD, seed=0)
    final = float(result.mean_correlations["saliency"][-1])
    assert judged(result, final + 0.01).passed == {"saliency": True}
    strict = judged(result, final - 0.01)
    assert strict.passed == {"saliency": False} and strict.threshold == pytest.approx(final - 0.01)
    assert strict.correlations is result.correlations   # the measurements are the same


def test_unknown_layer_is_refused(trained):
    model, images, labels = trained
    with pytest.raises(ValueError, match="nope"):
        compute_randomisation_check(model, images, labels, {}, RANDOMISATION_THRESHOLD, layers=["nope"])


def residual_cnn():
    """An untrained CNN with a residual branch: stages out, shortcut, c3, (c2, bn2), c1 (Keras orders
    the shortcut after c3)."""
    keras.utils.set_random_seed(1)
    layers = keras.layers
    inputs = keras.Input((SIZE, SIZE, 1))
    x = layers.Conv2D(4, 3, padding="same", activation="relu", name="c1")(inputs)
    shortcut = layers.Conv2D(6, 1, name="shortcut")(x)
    y = layers.BatchNormalization(name="bn2")(layers.Conv2D(6, 3, padding="same", activation="relu", name="c2")(x))
    z = layers.Add(name="add")([layers.Conv2D(6, 3, padding="same", name="c3")(y), shortcut])
    z = layers.GlobalAveragePooling2D(name="pool")(layers.Activation("relu", name="relu")(z))
    return keras.Model(inputs, layers.Dense(2, activation="softmax", name="out")(z))


def test_judged_stages_are_the_head_then_spaced_stages_down_to_the_input():
    inputs = keras.Input((SIZE, SIZE, 1))
    x = inputs
    for k in range(1, 10):
        x = keras.layers.Conv2D(2, 3, padding="same", name=f"conv{k}")(x)
    x = keras.layers.Dense(4, name="hidden")(keras.layers.Flatten()(x))
    model = keras.Model(inputs, keras.layers.Dense(2, name="out")(x))
    stages = randomisation_stages(model)
    assert [s[0] for s in stages] == ["out", "hidden", *(f"conv{k}" for k in range(9, 0, -1))]
    # The head (out, hidden), then 4 of the 9 convolution stages, spaced: conv9, conv6, conv4, conv1.
    assert judged_stages(model, stages, 4) == (0, 1, 2, 5, 7, 10)
    assert judged_stages(model, stages, 1) == (0, 1, 10)
    assert judged_stages(model, stages, 9) == judged_stages(model, stages) == tuple(range(11))
    with pytest.raises(ValueError, match="last stage"):
        judged_stages(model, stages, 0)


def test_judging_fewer_stages_measures_the_same_randomised_models():
    model = residual_cnn()
    images, labels = square_images(4)
    explain = {"saliency": compute_saliency, "image": lambda m, b, t: b[..., 0]}
    every = compute_randomisation_check(model, images, labels, explain, RANDOMISATION_THRESHOLD, seed=3)
    some = compute_randomisation_check(model, images, labels, explain, RANDOMISATION_THRESHOLD, seed=3,
                                       conv_stages=2)
    assert every.judged == (0, 1, 2, 3, 4) and some.judged == (0, 1, 4)
    assert some.stage_names == ("out", "shortcut", "c1") and some.head == 1 and some.stages == every.stages
    assert some.explain_calls == 2 * 4
    for method in explain:
        np.testing.assert_allclose(some.correlations[method], every.correlations[method][[0, 1, 4]], atol=1e-6)
        np.testing.assert_allclose(some.example_maps[method], every.example_maps[method][[0, 1, 2, 5]], atol=1e-6)


def test_a_split_model_runs_from_the_tensors_that_feed_its_randomised_part():
    from generator.analysis.trust.randomisation import copy_model, reinitialise
    from generator.analysis.trust.stage_outputs import StageOutputs, cascade_splits, split_model

    model = residual_cnn()
    entry, changed = split_model(model, {"out", "c3"})
    assert entry == [("bn2", 0), ("shortcut", 0)] and changed == {"c3", "add", "relu", "pool", "out"}
    stages = randomisation_stages(model)
    assert [s[0] for s in stages] == ["out", "shortcut", "c3", "c2", "c1"]
    assert split_model(model, {"out", "shortcut"})[0] == [("c1", 0), ("c3", 0)]
    assert cascade_splits(model, stages[::-1], (0, 4)) is None   # input first: c1's part holds later stages
    images, _ = square_images(5)
    points = (0, 1, 3, 4)
    copy, seeds, expected = copy_model(model), np.random.default_rng(0), []
    for index, stage in enumerate(stages):
        for name in stage:
            reinitialise(copy.get_layer(name), seeds)
        if index in points:
            expected.append(np.asarray(copy(images, training=False)))
    outputs = StageOutputs(model, copy, cascade_splits(copy, stages, points))
    trained = np.asarray(model(images, training=False))
    np.testing.assert_allclose(outputs(images), np.stack([trained, *expected]), atol=1e-6)
    assert not np.allclose(expected[0], expected[-1], atol=1e-3)


def test_lime_of_the_trained_model_and_every_judged_stage_in_one_pass_equals_lime_at_each():
    from generator.analysis.trust import randomisation_outputs
    from generator.explain.lime_method import compute_lime_over, lime_maps

    model = residual_cnn()
    images, labels = square_images(3)
    explain = {"lime": lambda m, b, t: lime_maps(m, b, t, num_samples=150, seed=2)}
    each = compute_randomisation_check(model, images, labels, explain, RANDOMISATION_THRESHOLD, seed=3,
                                       conv_stages=2)
    over = compute_lime_over(randomisation_outputs(model, seed=3, conv_stages=2), images, labels,
                             num_samples=150, seed=2)
    maps = np.stack([[r.weight_map for r in results] for results in over], axis=1)   # (1 + J, N, H, W)
    assert maps.shape == (1 + len(each.judged), *images.shape[:3])
    np.testing.assert_allclose(maps[0], lime_maps(model, images, labels, num_samples=150, seed=2), atol=1e-5)
    once = compute_randomisation_check(model, images, labels, explain, RANDOMISATION_THRESHOLD, seed=3,
                                       conv_stages=2, original_maps={"lime": maps[0]},
                                       judged_maps={"lime": maps[1:]})
    assert (each.explain_calls, once.explain_calls) == (1 + 3, 0)
    np.testing.assert_allclose(once.example_maps["lime"], each.example_maps["lime"], atol=1e-5)
    np.testing.assert_allclose(once.correlations["lime"], each.correlations["lime"], atol=1e-4)
    assert np.abs(each.example_maps["lime"][0] - each.example_maps["lime"][-1]).max() > 1e-3
    with pytest.raises(ValueError, match="judged stages"):
        compute_randomisation_check(model, images, labels, explain, RANDOMISATION_THRESHOLD, seed=3,
                                    conv_stages=2, judged_maps={"lime": maps[2:]})


def test_no_one_pass_outputs_where_a_judged_stage_cannot_be_split_from_the_rest():
    from generator.analysis.trust import randomisation_outputs

    model = residual_cnn()
    assert randomisation_outputs(model, layers=randomisation_stages(model)[::-1]) is None   # input first


# --- localisation ------------------------------------------------------------------------------

def test_pointing_game_and_mass_share_by_hand():
    maps = np.array([
        [[0, 0, 0], [0, 5, 1], [0, 0, 0]],      # peak at the centre (in the mask)
        [[4, 0, 0], [0, 1, 0], [0, 0, 0]],      # peak in a corner (outside)
        [[3, 0, 3], [0, 0, 0], [0, 0, -2]],     # two tied peaks, one inside
        [[0, 0, 0], [0, -1, 0], [0, 0, 0]],     # nothing positive
    ], np.float64)
    mask = np.zeros((3, 3), bool)
    mask[1, 1] = mask[0, 2] = True
    result = compute_localisation(maps, mask)
    np.testing.assert_allclose(result.pointing, [1, 0, 0.5, 0])
    assert result.pointing_game == pytest.approx(1.5 / 4)
    np.testing.assert_allclose(result.mass_share, [5 / 6, 1 / 5, 3 / 6, 0])
    assert result.mean_mass_share == pytest.approx((5 / 6 + 1 / 5 + 0.5) / 4)
    np.testing.assert_allclose(result.area_share, 2 / 9)


def test_per_image_masks():
    maps = np.zeros((2, 2, 2))
    maps[:, 0, 0] = 1.0
    masks = np.array([[[1, 0], [0, 0]], [[0, 1], [1, 1]]], bool)
    result = compute_localisation(maps, masks)
    np.testing.assert_allclose(result.pointing, [1, 0])
    np.testing.assert_allclose(result.mass_share, [1, 0])
    np.testing.assert_allclose(result.area_share, [0.25, 0.75])


def test_low_localisation_flags_by_hand():
    lift = {"gradcam": {"Happy": 0.4, "Sad": 2.0, "Fear": 2.2, "Angry": None},
            "saliency": {"Happy": 1.9, "Sad": 2.0, "Fear": 2.1, "Angry": None}}
    flags = low_localisation_flags(lift, share=0.5)
    # Happy's 0.4 is below 0.5 x mean(2.0, 2.2) = 1.05; nothing else is below half the others.
    assert flags == [{"kind": "low_localisation", "class": "Happy", "method": "gradcam", "share": 0.4,
                      "others": 2.1}]
    assert low_localisation_flags(lift, share=0.1) == []


def test_localisation_lift_is_mass_share_over_area_share():
    maps = np.zeros((2, 4, 4))
    maps[:, 0, 0] = 1.0                                   # all mass on one pixel
    masks = np.zeros((2, 4, 4), bool)
    masks[0, 0, :] = True                                 # image 0: the pixel is in a 4-pixel mask
    masks[1, 1, :2] = True                                # image 1: outside a 2-pixel mask
    result = compute_localisation(maps, masks)
    assert localisation_lift(result, np.array([True, False])) == pytest.approx(1.0 / 0.25)
    assert localisation_lift(result, np.array([True, True])) == pytest.approx(0.5 / (0.1875))


# --- agreement ---------------------------------------------------------------------------------

def test_rank_correlation_by_hand():
    a = np.array([[[1.0, 2.0], [3.0, 4.0]]])
    np.testing.assert_allclose(rank_correlation(a, a), [1.0])
    np.testing.assert_allclose(rank_correlation(a, -a), [-1.0])
    np.testing.assert_allclose(rank_correlation(a, a ** 3), [1.0])          # ranks only
    np.testing.assert_allclose(rank_correlation(a, np.array([[[2.0, 1.0], [3.0, 4.0]]])), [0.8])
    np.testing.assert_allclose(rank_correlation(a, np.zeros_like(a)), [0.0])  # constant map


def test_agreement_with_itself_and_with_a_reversed_map():
    rng = np.random.default_rng(0)
    base = rng.random((6, 8, 8))
    labels = np.array([0, 0, 0, 1, 1, 1])
    flipped = base.copy()
    flipped[3:] = -base[3:]                       # agrees on class 0, reversed on class 1
    result = compute_agreement({"a": base, "same": base.copy(), "flip": flipped}, labels, ["x", "y", "z"],
                               AGREEMENT_THRESHOLD)
    assert result.methods == ("a", "same", "flip")
    np.testing.assert_allclose(np.diag(result.matrix), 1.0)
    assert result.matrix[0, 1] == pytest.approx(1.0)
    assert result.matrix[0, 2] == pytest.approx(0.0, abs=1e-9)  # +1 on three images, -1 on three
    np.testing.assert_allclose(result.per_class[0], 1.0)
    np.testing.assert_allclose(result.per_class[1], [[1, 1, -1], [1, 1, -1], [-1, -1, 1]])
    assert np.isnan(result.per_class[2]).all() and list(result.counts) == [3, 3, 0]
    np.testing.assert_allclose(result.class_agreement[:2], [1.0, -1 / 3])
    assert result.disagreeing == ("y",)
    assert result.matrix[0, 2] == result.matrix[2, 0]


def test_blank_maps_agree_with_nothing():
    base = np.random.default_rng(2).random((4, 5, 5))
    blanked = base.copy()
    blanked[0] = 0.0
    result = compute_agreement({"a": base, "b": blanked}, np.zeros(4, int), ["x"], AGREEMENT_THRESHOLD)
    np.testing.assert_array_equal(result.blank, [0, 1])
    np.testing.assert_allclose(result.matrix, [[1.0, 0.75], [0.75, 0.75]])


def test_reversed_map_is_negative():
    base = np.random.default_rng(1).random((4, 6, 6))
    result = compute_agreement({"a": base, "reversed": -base}, np.zeros(4, int), ["x"], AGREEMENT_THRESHOLD)
    assert result.matrix[0, 1] == pytest.approx(-1.0)
    assert result.mean_agreement < 0 and result.disagreeing == ("x",)


# --- figures -----------------------------------------------------------------------------------

def test_figures(evidence, trained):
    _, _, _, di = evidence
    fig = plot_deletion_insertion(di.fractions, {m: c.mean_curve for m, c in di.deletion.items()},
                                  {m: c.mean_curve for m, c in di.insertion.items()},
                                  di.random_deletion.mean_curve, di.random_insertion.mean_curve)
    assert isinstance(fig, Figure) and len(fig.axes) == 2
    for ax, curves, random in ((fig.axes[0], di.deletion, di.random_deletion),
                               (fig.axes[1], di.insertion, di.random_insertion)):
        assert [line.get_label() for line in ax.lines] == [*curves, "random"]
        for line, expected in zip(ax.lines, [*(c.mean_curve for c in curves.values()), random.mean_curve]):
            np.testing.assert_allclose(line.get_ydata(), expected)
    assert not fig.axes[0].get_legend()   # the page carries the legend, in its language

    model, images, labels_ = trained
    result = compute_randomisation_check(model, images[:2], labels_[:2],
                                         {"saliency": compute_saliency, "image": lambda m, b, t: b[..., 0]},
                                         RANDOMISATION_THRESHOLD)
    grid = plot_randomisation_maps(images[0], result.example_maps)
    assert (grid.rows, grid.columns) == (2, 2 + 3)   # the image, the trained model's map, 3 stages
    fig = plot_randomisation_correlations(result.mean_correlations, result.threshold)
    assert len(fig.axes[0].lines) == 2 + 2  # two methods, threshold and zero lines
    np.testing.assert_allclose(fig.axes[0].lines[1].get_ydata(), [1, 1, 1, 1])
    np.testing.assert_allclose(fig.axes[0].lines[2].get_ydata(), [result.threshold] * 2)


# --- the section in a report --------------------------------------------------------------------

def test_lime_is_measured_on_the_sample_images(tiny_project):
    import json

    trust = json.loads((tiny_project / "docs" / "facts.json").read_text())["trust"]
    lime, samples = trust["methods"]["lime"], trust["image_sets"]["samples"]
    assert lime["image_set"] == "samples" and samples["methods"] == ["lime"]
    assert samples["images"] == trust["samples"] == 7
    assert set(trust["image_sets"]["evaluation"]["methods"]) == set(trust["methods"]) - {"lime"}
    # The random order is measured on the same 7 images, so it differs from the evaluation images' one.
    assert samples["random"] != trust["image_sets"]["evaluation"]["random"]
    assert 0 < lime["deletion_auc"] < 1 and 0 < lime["insertion_auc"] < 1
    assert lime["sanity_passed"] == (lime["sanity_final_correlation"] < trust["sanity_threshold"])
    assert "lime" not in trust["localisation_by_class"]   # per-class lift needs more than one image a class
    words = {"en": ("random order (LIME's sample images)", {"better": "better than random",
                                                             "no_better": "no better than random",
                                                             "worse": "worse than random"}),
             "zh-TW": ("隨機順序（LIME 的樣本影像）", {"better": "優於隨機", "no_better": "不比隨機好",
                                                  "worse": "比隨機差"})}
    for lang, (name, verdicts) in words.items():
        page = (tiny_project / "docs" / f"lime.{lang}.md").read_text()
        row = re.search(r"^\| LIME \| 7 \| (.*)$", page, re.M).group(1)
        assert f"{lime['deletion_auc']:.3f}" in row and f"{lime['insertion_auc']:.3f}" in row
        assert verdicts[lime["deletion"]] in row and verdicts[lime["insertion"]] in row
        assert f"| {name} | 7 | {samples['random']['deletion_auc']:.3f} |" in page


# --- verdicts ----------------------------------------------------------------------------------

def _curves(aucs: np.ndarray):
    from generator.analysis.trust import CurveSet

    return CurveSet(np.zeros((len(aucs), 3)), np.zeros(3), np.asarray(aucs, np.float32), float(np.mean(aucs)))


def test_a_method_beats_random_only_by_more_than_twice_its_standard_error():
    from generator.analysis.trust import DeletionInsertionResult, compare_with_random

    rng = np.random.default_rng(0)
    random = rng.uniform(0.4, 0.6, 20)
    result = DeletionInsertionResult(
        np.linspace(0, 1, 3),
        deletion={"clear": _curves(random - 0.2), "noise": _curves(random + rng.normal(0, 0.05, 20)),
                  "bad": _curves(random + 0.2)},
        insertion={"clear": _curves(random + 0.2), "noise": _curves(random + rng.normal(0, 0.05, 20)),
                   "bad": _curves(random - 0.2)},
        random_deletion=_curves(random), random_insertion=_curves(random), baseline="blur",
        model_calls=0, model_images=0)
    verdicts = compare_with_random(result)
    assert (verdicts["clear"]["deletion"], verdicts["clear"]["insertion"]) == ("better", "better")
    assert verdicts["clear"]["deletion_gain"] == pytest.approx(0.2, abs=1e-4)
    assert verdicts["noise"]["deletion"] == "no_better" and verdicts["noise"]["insertion"] == "no_better"
    assert (verdicts["bad"]["deletion"], verdicts["bad"]["insertion"]) == ("worse", "worse")


def test_randomisation_verdicts_name_the_stage_a_method_first_changes_at():
    from generator.analysis.trust import RandomisationResult

    means = {"early": np.array([0.3, 0.2, 0.1]), "late": np.array([0.9, 0.6, 0.2]),
             "never": np.array([0.9, 0.95, 0.8]), "bounces": np.array([0.2, 0.7, 0.6])}
    result = RandomisationResult((("out",), ("dense",), ("conv",)), (0, 1, 2), ("out", "dense", "conv"), 2, {},
                                 means, {}, {}, {}, 0.5, 0, {}, 0)
    checked = judged(result, 0.5)
    assert checked.verdicts == {"early": "head", "late": "late", "never": "never", "bounces": "never"}
    assert checked.first_below == {"early": 0, "late": 2, "never": None, "bounces": 0}
    assert checked.passed == {"early": True, "late": True, "never": False, "bounces": False}


def test_the_head_is_the_stages_without_spatial_output(trained):
    from generator.analysis.trust.randomisation import head_stages
    from generator.model.architectures import build_model

    small = build_model("small", (48, 48, 1), 7)
    assert head_stages(small, randomisation_stages(small)) == 2          # predictions, dense
    inputs = keras.Input((8, 8, 1))
    scores = keras.layers.Conv2D(3, 3, padding="same", name="scores")(keras.layers.Conv2D(4, 3, name="c")(inputs))
    conv_head = keras.Model(inputs, keras.layers.GlobalAveragePooling2D()(scores))
    assert head_stages(conv_head, randomisation_stages(conv_head)) == 1   # at least the first stage


def test_section_3_makes_the_check_s_lime_maps_in_its_own_pass_with_the_same_explanations(tiny_run):
    """With section 5 on, LIME's explanations of the samples and their maps after each judged stage
    come from one pass; the explanations are those of the trained model alone, as with section 5 off."""
    import dataclasses

    from generator.explain.lime_method import lime_maps
    from generator.pipeline import compute_results, open_run
    from generator.progress import Progress
    from generator.sections.settings import explain_settings
    from tests.conftest import disable_op_determinism

    config = tiny_run.config
    off = dataclasses.replace(config, trust=dataclasses.replace(config.trust, enabled=False))
    try:
        with open_run(config, tiny_run.paths, Progress(quiet=True)) as run:
            on_results = compute_results(run, through="lime")
        with open_run(off, tiny_run.paths, Progress(quiet=True)) as run:
            off_results = compute_results(run, through="lime")
    finally:
        disable_op_determinism()
    model, split = on_results.model.model, on_results.samples.chosen.split
    images, explain = model.to_input(split.images), explain_settings(config, model)
    trained = lime_maps(model.keras, images, split.labels, explain.lime_samples, explain.lime_segmentation,
                        explain.lime_fill, seed=explain.seed)
    np.testing.assert_allclose(on_results.lime.maps, trained, atol=1e-5)
    np.testing.assert_allclose(off_results.lime.maps, trained, atol=1e-5)
    points = judged_stages(model.keras, randomisation_stages(model.keras), config.trust.sanity_stages)
    assert on_results.lime.judged_maps.shape == (len(points), *images.shape[:3])
    assert off_results.lime.judged_maps is None
    assert np.abs(on_results.lime.judged_maps[-1] - trained).max() > 1e-3   # the fully random model's maps differ
