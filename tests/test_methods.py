"""The method registry: every method, built from it, keeps the one explainer contract."""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from generator.explain.methods import BY_KEY, METHODS, ExplainSettings, explainers, methods_on, title  # noqa: E402
from tests.left_half import SIZE, left_half_images, left_half_model, left_share  # noqa: E402

SETTINGS = ExplainSettings(seed=0, smooth_samples=4, cam_layer="bars", lime_samples=200, lime_segments=20)


@pytest.fixture(scope="module")
def model():
    return left_half_model()


@pytest.fixture(scope="module")
def data():
    return left_half_images(4)


@pytest.fixture(scope="module")
def built():
    return explainers(METHODS, SETTINGS)


@pytest.mark.parametrize("key", [method.key for method in METHODS])
def test_every_method_gives_finite_maps_shaped_like_the_images(built, model, data, key):
    images, labels = data
    maps = built[key](model, images, labels)
    assert maps.shape == (len(images), SIZE, SIZE)
    assert np.isfinite(maps).all() and np.abs(maps).max() > 0


@pytest.mark.parametrize("key", [method.key for method in METHODS])
def test_a_map_does_not_depend_on_the_other_images_in_the_batch(built, model, data, key):
    images, labels = data
    together = built[key](model, images, labels)
    alone = np.concatenate([built[key](model, images[i:i + 1], labels[i:i + 1]) for i in range(len(images))])
    np.testing.assert_allclose(alone, together, rtol=1e-4, atol=1e-5 * np.abs(together).max())


@pytest.mark.parametrize("key", [method.key for method in METHODS])
def test_every_method_finds_the_half_that_decides(built, model, data, key):
    images, labels = data
    assert (left_share(built[key](model, images, labels)) > 0.6).all()


def test_titles_pages_and_lookups():
    assert [m.key for m in methods_on("saliency")] == ["saliency", "smoothgrad"]
    assert [m.key for m in methods_on("gradcam")] == ["gradcam", "gradcam++", "scorecam", "layercam"]
    assert [m.key for m in methods_on("lime")] == ["lime"]
    assert title("gradcam++") == "Grad-CAM++" and title("unknown") == "unknown"
    assert len(BY_KEY) == len(METHODS) and all(m.page in ("saliency", "lime", "gradcam") for m in METHODS)
    assert [m.key for m in METHODS if m.trusted_on == "samples"] == ["lime"]
