"""What a data source is made of: the `data:` settings of report.yml (checked by the config)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, Union

from generator.setting import setting


@dataclass(frozen=True)
class SyntheticSettings:
    per_class: int = setting(500, "Synthetic faces drawn for each class.")
    shortcut: str | None = setting(None, "A class whose faces get a spurious corner mark (a shortcut the report "
                                         "should flag: make shortcut); absent: none.")


@dataclass(frozen=True)
class DataSettings:
    format: Literal["synthetic", "fer2013-csv", "ntu-csv", "image-folder"] = setting(
        "synthetic", "The data: synthetic (generated faces), fer2013-csv (emotion,pixels,Usage), ntu-csv "
                     "(label,feature) or image-folder (train/<class>/*.png, optional test/<class>/).")
    path: str | None = setting(None, "The data file or folder (every format but synthetic).")
    splits: dict[str, Union[float, str]] | None = setting(
        None, "train / validation / test: fractions (synthetic, ntu-csv, image-folder) or the file's Usage names "
              "(fer2013-csv); absent: the format's default.")
    synthetic: SyntheticSettings = field(default_factory=SyntheticSettings)
