"""What a data source is made of: the `data:` settings of report.yml (checked by the config)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, Union

from generator.setting import setting


@dataclass(frozen=True)
class SyntheticSettings:
    preset: Literal["fer2013", "easy"] = setting(
        "fer2013", "The defaults of the keys below: fer2013 (FER2013's class frequencies and difficulty) or easy "
                   "(equal classes, strong expressions, clean labels).")
    per_class: int = setting(500, "Synthetic faces per class on average; the classes follow `balance`.")
    balance: Literal["fer2013", "equal"] | None = setting(
        None, "Class frequencies: fer2013 (FER2013's, Disgust rarest) or equal; absent: the preset's.")
    intensity: list[float] | None = setting(
        None, "[low, high]: each face's expression strength is drawn in this range (0: neutral); absent: the "
              "preset's.")
    ambiguity: float | None = setting(
        None, "Share of a drifting class's faces drawn partway toward its designed partner; absent: the preset's.")
    label_noise: float | None = setting(
        None, "Share of images labelled with another class at random (seeded); absent: the preset's.")
    glasses: float | None = setting(None, "Share of faces wearing glasses; absent: the preset's.")
    hands: float | None = setting(None, "Share of faces with a hand over part of them; absent: the preset's.")
    hair: float | None = setting(None, "Share of faces with hair (short or long); absent: the preset's.")
    drifts: dict[str, list[str]] | None = setting(
        None, "Class -> the classes its ambiguous faces are drawn partway toward, e.g. {Fear: [Surprise]}; "
              "absent: the designed pairs' directions.")
    shortcut: str | None = setting(None, "A class whose faces get a spurious corner mark (a shortcut the report "
                                         "should flag: make shortcut); absent: none.")


@dataclass(frozen=True)
class DataSettings:
    format: Literal["synthetic", "fer2013-csv", "ntu-csv", "image-folder", "sklearn-digits"] = setting(
        "synthetic", "The data: synthetic (generated faces), fer2013-csv (emotion,pixels,Usage), ntu-csv "
                     "(label,feature), image-folder (train/<class>/*.png, optional test/<class>/) or "
                     "sklearn-digits (scikit-learn's 8x8 handwritten digits, no download).")
    path: str | None = setting(None, "The data file or folder (fer2013-csv, ntu-csv, image-folder).")
    splits: dict[str, Union[float, str]] | None = setting(
        None, "train / validation / test: fractions (synthetic, ntu-csv, image-folder, sklearn-digits) or the "
              "file's Usage names (fer2013-csv); absent: the format's default.")
    subject: Literal["expressions", "digits", "images"] | None = setting(
        None, "What the report says it classifies: expressions (faces), digits or images; absent: the format's "
              "(expressions for synthetic, fer2013-csv and ntu-csv, digits for sklearn-digits, else images).")
    image_size: list[int] | None = setting(
        None, "[height, width] the images are brought to (image-folder, sklearn-digits); absent: the files' "
              "most common size (image-folder) or [32, 32] (sklearn-digits).")
    channels: Literal[1, 3] | None = setting(
        None, "1 (gray) or 3 (colour) channels (image-folder); absent: 3 if any image has colour, else 1.")
    synthetic: SyntheticSettings = field(default_factory=SyntheticSettings)
