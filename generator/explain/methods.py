"""Every explanation method, listed once: its key, title, the page that shows it, how to build it.

Each explainer has one call shape, (model, images, targets) -> maps (N, H, W): `images` in
the model's input scale, `targets` the class each map explains. The sections, the trust
checks, the figures and the export all read this list; adding a method means one module
in explain/, one entry here, and its words in the templates.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import numpy as np

from generator.explain.cams import compute_cam
from generator.explain.lime_method import DEFAULT_SEGMENTATION, lime_maps
from generator.explain.saliency import compute_saliency, compute_smoothgrad

Explainer = Callable[..., np.ndarray]   # (model, images, targets) -> maps (N, H, W)


@dataclass(frozen=True)
class ExplainSettings:
    """What explainers depend on besides the model and the images."""

    seed: int = 0
    smooth_samples: int = 20            # SmoothGrad: noisy copies per image
    smooth_noise: float = 0.2           # SmoothGrad: noise std as a share of each image's value range
    cam_layer: str | None = None        # the layer CAMs are taken at
    scorecam_channels: int | None = None   # Score-CAM: channels weighed per image (None: all)
    lime_samples: int = 1000            # LIME: perturbed copies per image
    lime_segments: int = 50             # LIME: target number of superpixels
    lime_fill: float = 0.0              # LIME: value of hidden superpixels, in the model's input scale

    @property
    def lime_segmentation(self) -> dict:
        return dict(DEFAULT_SEGMENTATION, n_segments=self.lime_segments)


@dataclass(frozen=True)
class Method:
    key: str                    # the name in facts, cache keys and templates
    title: str                  # its name, kept in every language unless `local_titles` has one
    page: str                   # the report page that shows its maps
    build: Callable[[ExplainSettings], Explainer]
    trusted_on: str = "evaluation"   # section 5 measures it on "evaluation" images or the "samples"
    needs_conv: bool = False    # it reads a convolution layer (CAMs)
    local_titles: Mapping[str, str] = field(default_factory=dict)   # language -> its own name


def _saliency(settings: ExplainSettings) -> Explainer:
    return lambda model, images, targets: compute_saliency(model, images, targets)


def _smoothgrad(settings: ExplainSettings) -> Explainer:
    return lambda model, images, targets: compute_smoothgrad(
        model, images, targets, settings.smooth_samples, settings.smooth_noise, seed=settings.seed)


def _cam(method: str) -> Callable[[ExplainSettings], Explainer]:
    def build(settings: ExplainSettings) -> Explainer:
        def explain(model, images, targets):
            if settings.cam_layer is None:
                raise ValueError(f"{method} needs a convolution layer: set ExplainSettings.cam_layer")
            return compute_cam(model, images, targets, settings.cam_layer, method,
                               scorecam_channels=settings.scorecam_channels)
        return explain
    return build


def _lime(settings: ExplainSettings) -> Explainer:
    return lambda model, images, targets: lime_maps(
        model, images, targets, settings.lime_samples, settings.lime_segmentation, settings.lime_fill,
        seed=settings.seed)


METHODS: tuple[Method, ...] = (
    Method("saliency", "Saliency", "saliency", _saliency, local_titles={"zh-TW": "顯著圖"}),
    Method("smoothgrad", "SmoothGrad", "saliency", _smoothgrad),
    Method("gradcam", "Grad-CAM", "gradcam", _cam("gradcam"), needs_conv=True),
    Method("gradcam++", "Grad-CAM++", "gradcam", _cam("gradcam++"), needs_conv=True),
    Method("scorecam", "Score-CAM", "gradcam", _cam("scorecam"), needs_conv=True),
    Method("layercam", "Layer-CAM", "gradcam", _cam("layercam"), needs_conv=True),
    Method("lime", "LIME", "lime", _lime, trusted_on="samples"),
)
BY_KEY = {method.key: method for method in METHODS}


def methods_on(page: str) -> tuple[Method, ...]:
    """The methods whose maps `page` shows, in registry order."""
    return tuple(method for method in METHODS if method.page == page)


def title(key: str, lang: str = "en") -> str:
    """A method's display title in `lang` (the key itself for anything not in the registry)."""
    if key not in BY_KEY:
        return key
    return BY_KEY[key].local_titles.get(lang, BY_KEY[key].title)


def explainers(methods, settings: ExplainSettings) -> dict[str, Explainer]:
    """key -> explainer of each of `methods`, built with `settings`."""
    return {method.key: method.build(settings) for method in methods}

