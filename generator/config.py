"""The generator's configuration: typed, validated, with errors that name the key.

`report.yml` holds the settings; `--set a.b=value` overrides any of them.
Languages live only in mkdocs.yml.
"""

from __future__ import annotations

import dataclasses
import difflib
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Union

import yaml

from generator.data.settings import DataSettings
from generator.errors import UserError
from generator.setting import setting
from generator.vocabulary import REGIONS, default_classes

INPUT_SCALES = ("0-1", "-1-1", "0-255")
# A method fails the randomisation check when its mean rank correlation with its original
# maps, after every stage is re-initialised, is still at least this (Adebayo et al. see
# values near 0 for gradients and near 1 for edge detectors).
RANDOMISATION_THRESHOLD = 0.5
# Methods "disagree" on a class when their mean pairwise correlation there is below this:
# under 0.3 is at most a weak correlation by the usual reading of Spearman's rho.
AGREEMENT_THRESHOLD = 0.3
# A class is flagged when its localisation lift is below this share of the other classes'
# mean: half as well placed as the rest is a clear outlier with 7 classes.
LOW_LOCALISATION = 0.5


@dataclass(frozen=True)
class ModelConfig:
    path: str | None = setting(None, "A .keras, .h5 or architecture .json file to explain; "
                                     "absent: train the report's own CNN.")
    weights: str | None = setting(None, "The weights of an architecture .json (Keras 2 save_weights .h5 or Keras 3 "
                                        ".weights.h5); absent: the file of the same stem beside the .json.")
    arch: Literal["small", "vgg"] = setting("small", "The CNN trained when there is no model.path "
                                                     "(vgg: VGG-style, meant for real FER2013).")
    epochs: int = setting(10, "Most training epochs (early stopping may end sooner).")
    batch_size: int = setting(32, "Training batch size.")
    patience: int = setting(4, "Epochs without a lower validation loss before training stops early.")
    input_scale: Union[str, dict[str, float]] = setting(
        "0-1", "Pixel scaling the model was trained with: 0-1, -1-1, 0-255 or {mean: M, std: S} in 0-255 units.")
    classes: list[str] | None = setting(None, "A model file's output order where it differs from `classes` (e.g. "
                                              "alphabetical, from flow_from_directory); absent: `classes`.")
    check_scaling: bool = setting(True, "Stop when another input scaling fits the labels clearly better than "
                                        "model.input_scale (10 points and 1.2x, on up to 300 evaluation images).")
    check_classes: bool = setting(True, "Stop when the model's outputs fit the labels clearly better in another "
                                        "order than the configured one (10 points and 1.2x).")


@dataclass(frozen=True)
class SaliencyConfig:
    smooth_samples: int = setting(20, "Noisy copies SmoothGrad averages for each image.")
    smooth_noise: float = setting(0.2, "SmoothGrad's noise standard deviation, as a share of each image's value range.")


@dataclass(frozen=True)
class FiltersConfig:
    layer: Union[str, int, None] = setting(None, "Convolution whose filters are drawn: a layer name or 1-based conv "
                                                 "index; absent: the third convolution.")
    steps: int = setting(100, "Gradient-ascent steps for each filter's pattern.")
    image: str | None = setting(None, "Class whose sample image shows the feature maps; absent: the first class.")


@dataclass(frozen=True)
class LimeConfig:
    num_samples: int = setting(1000, "Perturbed images LIME scores for each explanation.")
    segments: int = setting(50, "Target number of superpixels.")
    fill: float = setting(0.0, "Gray level in [0, 1] that hidden superpixels take (0: black).")


@dataclass(frozen=True)
class CamsConfig:
    layer: Union[str, int, None] = setting(None, "Layer Grad-CAM and its relatives explain: a layer name or 1-based "
                                                 "conv index; absent: the last convolution.")
    class_mean_images: int = setting(50, "Correctly classified images averaged for each class's mean map.")
    scorecam_channels: int = setting(64, "Score-CAM weighs at most this many channels of each image, those whose "
                                         "activation varies most (Faster Score-CAM); 0: every channel.")


@dataclass(frozen=True)
class MethodsConfig:
    saliency: SaliencyConfig = field(default_factory=SaliencyConfig)
    filters: FiltersConfig = field(default_factory=FiltersConfig)
    lime: LimeConfig = field(default_factory=LimeConfig)
    cams: CamsConfig = field(default_factory=CamsConfig)


@dataclass(frozen=True)
class MistakesConfig:
    pairs: int = setting(3, "Most frequent confusions (true -> predicted class) the Mistakes page explains.")
    shown: int = setting(3, "Misclassified images of each pair shown with their maps (and explained by LIME).")


@dataclass(frozen=True)
class TrustConfig:
    enabled: bool = setting(True, "Run section 5, the checks of whether the explanations can be trusted.")
    images: int = setting(56, "Evaluation images for the gradient and CAM methods (LIME: the sample images).")
    steps: int = setting(20, "Deletion / insertion steps.")
    sanity_threshold: float = setting(RANDOMISATION_THRESHOLD, "A method fails the randomisation check when its "
                                                               "maps keep this rank correlation or more.")
    sanity_stages: int = setting(3, "Stages below the classifier head after which the randomisation check compares "
                                    "the maps, spaced from the top one to the input one (all when there are fewer).")
    agreement_threshold: float = setting(AGREEMENT_THRESHOLD, "Methods disagree on a class whose mean rank "
                                                              "correlation between them is below this.")
    low_localisation: float = setting(LOW_LOCALISATION, "A class is flagged when its localisation is below this "
                                                        "share of the other classes' mean.")


@dataclass(frozen=True)
class FiguresConfig:
    lime_colours: Literal["cvd-safe", "green-red"] = setting(
        "cvd-safe", "LIME's support and opposition colours: cvd-safe (blue and orange, apart for colour-blind "
                    "readers) or green-red (the course report's); only the figures change.")


@dataclass(frozen=True)
class Config:
    seed: int = setting(0, "Seed of every random choice (splits, training, noise, sampling): "
                           "the same seed gives the same report.")
    classes: list[str] | None = setting(None, "Class names in the model's output order; absent: the format's "
                                              "(FER2013's seven expressions, or 0-9 for sklearn-digits).")
    data: DataSettings = field(default_factory=DataSettings)
    model: ModelConfig = field(default_factory=ModelConfig)
    samples: dict[str, int] = setting(factory=dict, doc="Per class, the 1-based data row of its sample image "
                                                        "(e.g. {Angry: 2315}); absent classes get one chosen.")
    regions: Union[Literal["face", "grid", "none"], dict[str, list[float]], None] = setting(
        None, "Regions that claims about where a map falls use: face, grid (3x3), none (no region claims) or "
              "face-region boxes [x0, y0, x1, y1] as image fractions replacing the built-in ones; absent: face for "
              "face data (data.subject expressions), else grid.")
    notes: str = setting("notes", "Folder of your own notes (en.md, zh-TW.md), shown under the commentary.")
    cache: str = setting(".cache", "Folder of the step cache, relative to the config file.")
    methods: MethodsConfig = field(default_factory=MethodsConfig)
    mistakes: MistakesConfig = field(default_factory=MistakesConfig)
    trust: TrustConfig = field(default_factory=TrustConfig)
    figures: FiguresConfig = field(default_factory=FiguresConfig)

    def __post_init__(self) -> None:
        if self.classes is None:  # the format's own classes
            object.__setattr__(self, "classes", list(default_classes(self.data.format)))

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


def load_config(path: Path, overrides: list[str] = ()) -> Config:
    """Read `path` (a missing default file means all defaults), apply `key=value` overrides."""
    raw = _read_yaml(path)
    for item in overrides:
        key, value = _parse_override(item)
        _set_dotted(raw, key, value)
    config = _build(Config, raw, "")
    _check_values(config)
    return config


def _read_yaml(path: Path) -> dict:
    if not path.exists():
        if path.name == "report.yml":
            return {}
        raise UserError(path, "config file not found", "pass --config with an existing file")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8-sig"))
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark else str(path)
        raise UserError(where, "not valid YAML", getattr(error, "problem", "check the syntax")) from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise UserError(path, "the config must be a mapping of keys", "see report.yml for the layout")
    return data


def _parse_override(item: str) -> tuple[str, Any]:
    key, sep, text = item.partition("=")
    if not sep or not key.strip():
        raise UserError("--set", f"expected key=value, got {item!r}", "for example --set model.epochs=5")
    try:
        return key.strip(), yaml.safe_load(text) if text.strip() else None
    except yaml.YAMLError:
        return key.strip(), text


def _set_dotted(raw: dict, key: str, value: Any) -> None:
    node = raw
    *parents, last = key.split(".")
    for i, part in enumerate(parents):
        child = node.setdefault(part, {})
        if not isinstance(child, dict):
            raise UserError(".".join(parents[: i + 1]), "is not a section", f"cannot set {key}")
        node = child
    node[last] = value


def _build(cls, raw: Any, prefix: str):
    """Instantiate dataclass `cls` from `raw`, naming the key of any unknown or mistyped entry."""
    if not isinstance(raw, dict):
        raise UserError(prefix or "config", f"expected a mapping, got {_kind(raw)}", "see report.yml")
    fields = {f.name: f for f in dataclasses.fields(cls)}
    hints = typing.get_type_hints(cls)
    for key in raw:
        if key not in fields:
            raise UserError(_join(prefix, key), "unknown key", _suggest(key, fields))
    values = {}
    for name, value in raw.items():
        key = _join(prefix, name)
        hint = hints[name]
        if dataclasses.is_dataclass(hint):
            values[name] = _build(hint, value, key)
        else:
            values[name] = _check_type(value, hint, key)
    return cls(**values)


def _check_type(value: Any, hint, key: str):
    """Return `value` (ints widened to float where a float is expected) if it matches `hint`."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (Union, types.UnionType):
        for option in args:
            try:
                return _check_type(value, option, key)
            except UserError:
                continue
        raise UserError(key, f"expected {_describe(hint)}, got {_kind(value)} {value!r}", "fix the value")
    if origin is Literal:
        if value in args:
            return value
        raise UserError(key, f"invalid value {value!r}", "choose one of: " + ", ".join(map(str, args)))
    if origin is list:
        if not isinstance(value, list):
            raise UserError(key, f"expected a list, got {_kind(value)}", "write it as [a, b, ...]")
        return [_check_type(item, args[0], f"{key}[{i}]") for i, item in enumerate(value)]
    if origin is dict:
        if not isinstance(value, dict):
            raise UserError(key, f"expected a mapping, got {_kind(value)}", "write it as {name: value}")
        return {str(k): _check_type(v, args[1], _join(key, str(k))) for k, v in value.items()}
    if hint is type(None):
        if value is None:
            return None
    elif hint is float:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
    elif hint is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
    elif isinstance(value, hint):
        return value
    raise UserError(key, f"expected {_describe(hint)}, got {_kind(value)} {value!r}", "fix the value")


def _check_synthetic(synthetic) -> None:
    """Shares in [0, 1), and an intensity range [low, high] with 0 <= low <= high."""
    for key in ("ambiguity", "label_noise", "glasses", "hands", "hair"):
        value = getattr(synthetic, key)
        if value is not None and not 0 <= value < 1:
            raise UserError(f"data.synthetic.{key}", f"must be a share in [0, 1), got {value}", "set it to 0.05, say")
    intensity = synthetic.intensity
    if intensity is not None and (len(intensity) != 2 or not 0 <= intensity[0] <= intensity[1]):
        raise UserError("data.synthetic.intensity", f"must be [low, high] with 0 <= low <= high, got {intensity}",
                        "for example [0.35, 1.0]")


def _check_values(config: Config) -> None:
    """Checks of meaning that types alone cannot express."""
    classes = config.classes
    if len(classes) < 2 or len(set(classes)) != len(classes):
        raise UserError("classes", "needs at least two distinct class names", "list them in the model's output order")
    model_classes = config.model.classes
    if model_classes is not None and (len(model_classes) != len(classes) or set(model_classes) != set(classes)):
        raise UserError("model.classes", "must name each class of classes once",
                        "list them in the model's output order")
    data = config.data
    if data.format not in ("synthetic", "sklearn-digits") and not data.path:
        raise UserError("data.path", f"required for data.format {data.format}", "point it at your data file or folder")
    if data.synthetic.per_class < 3:
        raise UserError("data.synthetic.per_class", "must be at least 3", "use a few hundred for a useful model")
    if data.synthetic.shortcut is not None and data.synthetic.shortcut not in classes:
        raise UserError("data.synthetic.shortcut", f"unknown class {data.synthetic.shortcut!r}",
                        "choose one of: " + ", ".join(classes))
    _check_synthetic(data.synthetic)
    for name, targets in (data.synthetic.drifts or {}).items():
        for target in [name, *targets]:
            if target not in classes:
                raise UserError(f"data.synthetic.drifts.{name}", f"unknown class {target!r}",
                                "choose among: " + ", ".join(classes))
    if data.splits is not None:
        extra = set(data.splits) - {"train", "validation", "test"}
        if extra:
            raise UserError(f"data.splits.{sorted(extra)[0]}", "unknown split", "use train, validation and test")
        for name, value in data.splits.items():
            if isinstance(value, float) and not 0 <= value < 1:
                raise UserError(f"data.splits.{name}", f"fraction {value} outside [0, 1)", "for example 0.15")
    scale = config.model.input_scale
    if isinstance(scale, str) and scale not in INPUT_SCALES:
        raise UserError("model.input_scale", f"invalid value {scale!r}",
                        "choose 0-1, -1-1, 0-255 or {mean: M, std: S}")
    if isinstance(scale, dict) and (set(scale) != {"mean", "std"} or scale["std"] <= 0):
        raise UserError("model.input_scale", "a mapping needs exactly mean and std (std > 0)",
                        "for example {mean: 127.5, std: 64}")
    if config.model.weights is not None and not str(config.model.path or "").lower().endswith(".json"):
        raise UserError("model.weights", "only an architecture .json model.path takes a weights file",
                        "set model.path to the model's .json, or remove model.weights")
    for key, value in (("model.epochs", config.model.epochs), ("model.batch_size", config.model.batch_size),
                       ("mistakes.pairs", config.mistakes.pairs), ("mistakes.shown", config.mistakes.shown)):
        if value < 1:
            raise UserError(key, "must be at least 1", "use a positive number")
    if config.methods.cams.scorecam_channels < 0:
        raise UserError("methods.cams.scorecam_channels", "must be 0 (every channel) or more", "for example 64")
    _check_trust(config.trust)
    for name, row in config.samples.items():
        if name not in classes:
            raise UserError(f"samples.{name}", "unknown class", _suggest(name, classes))
        if row < 1:
            raise UserError(f"samples.{name}", "rows are numbered from 1", "use the image's 1-based row")
    _check_image_settings(data, len(classes))
    for name, box in (config.regions if isinstance(config.regions, dict) else {}).items():
        if name not in REGIONS or name == "outside":
            raise UserError(f"regions.{name}", "unknown region", _suggest(name, REGIONS[:-1]))
        if len(box) != 4 or not all(0 <= v <= 1 for v in box) or box[0] >= box[2] or box[1] >= box[3]:
            raise UserError(f"regions.{name}", "expected [x0, y0, x1, y1] as fractions of the image",
                            "for example [0.25, 0.7, 0.75, 0.9]")


def _check_image_settings(data: DataSettings, class_count: int) -> None:
    """Image size and channels only where the format takes them; digits have ten classes."""
    size = data.image_size
    if size is not None and data.format not in ("image-folder", "sklearn-digits"):
        raise UserError("data.image_size", f"data.format {data.format} has a fixed size",
                        "remove it, or use image-folder or sklearn-digits")
    if size is not None and (len(size) != 2 or not all(8 <= v <= 512 for v in size)):
        raise UserError("data.image_size", f"expected [height, width] between 8 and 512, got {size}",
                        "for example [32, 32]")
    if data.channels is not None and data.format != "image-folder":
        raise UserError("data.channels", f"data.format {data.format} has fixed channels",
                        "remove it, or use image-folder")
    if data.format == "sklearn-digits" and class_count != 10:
        raise UserError("classes", f"sklearn-digits has 10 classes (0-9), got {class_count}",
                        "remove classes to use 0-9, or list ten names")


def _check_trust(trust: TrustConfig) -> None:
    for key, value, low in (("images", trust.images, 1), ("steps", trust.steps, 2),
                            ("sanity_stages", trust.sanity_stages, 1)):
        if value < low:
            raise UserError(f"trust.{key}", f"must be at least {low}", f"for example {getattr(TrustConfig, key)}")
    ranges = {"sanity_threshold": (-1, 1), "agreement_threshold": (-1, 1), "low_localisation": (0, 1)}
    for key, (low, high) in ranges.items():
        value = getattr(trust, key)
        if not low < value <= high:
            raise UserError(f"trust.{key}", f"{value} is outside ({low}, {high}]",
                            f"for example {getattr(TrustConfig, key)}")


def _suggest(key: str, known) -> str:
    close = difflib.get_close_matches(key, list(known), n=1)
    return f"did you mean {close[0]}?" if close else "known keys: " + ", ".join(known)


def _join(prefix: str, key: str) -> str:
    return f"{prefix}.{key}" if prefix else key


def _kind(value: Any) -> str:
    return {dict: "a mapping", list: "a list", str: "text", bool: "true/false",
            int: "a number", float: "a number", type(None): "nothing"}.get(type(value), type(value).__name__)


def _describe(hint) -> str:
    if typing.get_origin(hint) in (Union, types.UnionType):
        return " or ".join(_describe(a) for a in typing.get_args(hint))
    if typing.get_origin(hint) is Literal:
        return "one of " + ", ".join(map(str, typing.get_args(hint)))
    if typing.get_origin(hint) is list:
        return "a list"
    if typing.get_origin(hint) is dict:
        return "a mapping"
    return {int: "a whole number", float: "a number", str: "text", bool: "true/false",
            type(None): "nothing"}.get(hint, str(hint))
