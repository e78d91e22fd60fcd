"""What a data source is made of: the `data:` settings of report.yml (checked by the config)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, Union


@dataclass(frozen=True)
class SyntheticSettings:
    preset: Literal["fer2013", "easy"] = "fer2013"   # the defaults below (see data.synthetic.design.PRESETS)
    per_class: int = 500             # images per class on average; classes follow `balance`
    balance: Literal["fer2013", "equal"] | None = None   # class frequencies: FER2013's, or equal
    intensity: list[float] | None = None   # [low, high]: expression strength, drawn per face (0: neutral)
    ambiguity: float | None = None         # share of faces of a confusable pair drawn partway toward the other
    label_noise: float | None = None       # share of images labelled with another class at random
    glasses: float | None = None           # share of faces wearing glasses
    hands: float | None = None             # share of faces with a hand over them
    hair: float | None = None              # share of faces with hair (short or long)
    shortcut: str | None = None            # class name that gets a spurious cue


@dataclass(frozen=True)
class DataSettings:
    format: Literal["synthetic", "fer2013-csv", "ntu-csv", "image-folder"] = "synthetic"
    path: str | None = None
    # train / validation / test: fractions (synthetic, ntu-csv, image-folder)
    # or the file's Usage names (fer2013-csv). None = the format's default.
    splits: dict[str, Union[float, str]] | None = None
    synthetic: SyntheticSettings = field(default_factory=SyntheticSettings)
