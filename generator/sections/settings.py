"""The configured explanation settings for one model: what every section's explainers are built with."""

from __future__ import annotations

from generator.config import Config
from generator.explain.common import conv_layer_names, resolve_cam_layer
from generator.explain.methods import ExplainSettings
from generator.model.report_model import ReportModel


def explain_settings(config: Config, model: ReportModel) -> ExplainSettings:
    methods = config.methods
    return ExplainSettings(
        seed=config.seed,
        smooth_samples=methods.saliency.smooth_samples,
        smooth_noise=methods.saliency.smooth_noise,
        cam_layer=cam_layer(config, model),
        scorecam_channels=scorecam_channels(config, model),
        lime_samples=methods.lime.num_samples,
        lime_segments=methods.lime.segments,
        lime_fill=model.input_value(methods.lime.fill),
    )


def cam_layer(config: Config, model: ReportModel) -> str | None:
    """The layer CAMs are taken at (methods.cams.layer, default the deepest candidate; see
    explain.common.resolve_cam_layer); None when the model has no convolution layer."""
    if not conv_layer_names(model.keras):
        return None
    return resolve_cam_layer(model.keras, config.methods.cams.layer, "methods.cams.layer").name


def scorecam_channels(config: Config, model: ReportModel) -> int | None:
    """The channels Score-CAM weighs per image (methods.cams.scorecam_channels), or None: all of
    the CAM layer's (as when the setting is 0 or at least their number)."""
    cap = config.methods.cams.scorecam_channels
    if not conv_layer_names(model.keras) or cap <= 0:
        return None
    channels = resolve_cam_layer(model.keras, config.methods.cams.layer, "methods.cams.layer").channels
    return cap if cap < channels else None
