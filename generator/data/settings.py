"""What a data source is made of: the `data:` settings of report.yml (checked by the config)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, Union


@dataclass(frozen=True)
class SyntheticSettings:
    per_class: int = 500
    shortcut: str | None = None     # class name that gets a spurious cue


@dataclass(frozen=True)
class DataSettings:
    format: Literal["synthetic", "fer2013-csv", "ntu-csv", "image-folder"] = "synthetic"
    path: str | None = None
    # train / validation / test: fractions (synthetic, ntu-csv, image-folder)
    # or the file's Usage names (fer2013-csv). None = the format's default.
    splits: dict[str, Union[float, str]] | None = None
    synthetic: SyntheticSettings = field(default_factory=SyntheticSettings)
