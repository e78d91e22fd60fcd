"""What the synthetic data set is designed to be: class frequencies, expression strength, label noise,
occluders, and the confusable pairs of classes, with the face parts each pair shares and those that
tell its classes apart.

The "fer2013" preset gives FER2013's difficulty: its class frequencies (Goodfellow et al. 2013,
35,887 images: Disgust 1.5%, Happy 25%), expressions from weak (drifting toward Neutral) to
full, and a little label noise. The "easy" preset is the earlier default: equal classes, strong
expressions, clean labels.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# FER2013's class counts (Angry, Disgust, Fear, Happy, Sad, Surprise, Neutral).
FER2013_COUNTS = {"Angry": 4953, "Disgust": 547, "Fear": 5121, "Happy": 8989, "Sad": 6077, "Surprise": 4002,
                  "Neutral": 6198}
MIN_PER_CLASS = 10   # so that every class reaches every split, even in a small data set

BLEND = (0.2, 0.6)   # how far an ambiguous face is drawn toward its designed partner class

PRESETS = {
    "fer2013": {"balance": "fer2013", "intensity": (0.35, 1.0), "ambiguity": 0.5, "label_noise": 0.05,
                "glasses": 0.25, "hands": 0.2, "hair": 0.7, "drifts": None},
    "easy": {"balance": "equal", "intensity": (0.75, 1.05), "ambiguity": 0.0, "label_noise": 0.0,
             "glasses": 0.25, "hands": 0.15, "hair": 0.7, "drifts": None},
}


# Regions whose drawing carries each class (Neutral: its flat brows, eyes and mouth).
EVIDENCE_REGIONS: dict[str, tuple[str, ...]] = {
    "Angry": ("brows", "eyes", "mouth"),
    "Disgust": ("brows", "nose", "mouth"),
    "Fear": ("brows", "eyes", "mouth"),
    "Happy": ("cheeks", "mouth"),
    "Sad": ("brows", "mouth"),
    "Surprise": ("brows", "eyes", "mouth"),
    "Neutral": ("brows", "eyes", "mouth"),
}


@dataclass(frozen=True)
class ConfusablePair:
    """Two classes drawn to share one cue and differ in others, as people's expressions do.
    The first drifts toward the second: its ambiguous faces are drawn partway toward it."""

    classes: tuple[str, str]
    shared: tuple[str, ...]        # regions where the two are drawn alike
    distinct: tuple[str, ...]      # regions that tell them apart

    def as_dict(self) -> dict:
        return {"classes": list(self.classes), "shared": list(self.shared), "distinct": list(self.distinct)}


DESIGNED_CONFUSIONS = (
    ConfusablePair(("Fear", "Surprise"), ("eyes",), ("brows", "mouth")),       # wide eyes; brows and mouth shape
    ConfusablePair(("Sad", "Neutral"), ("mouth",), ("brows",)),               # a nearly flat mouth; inner brows
    ConfusablePair(("Disgust", "Angry"), ("brows",), ("nose", "mouth")),      # lowered brows; nose and upper lip
    ConfusablePair(("Fear", "Sad"), ("brows",), ("eyes", "mouth")),           # raised inner brows; eyes and mouth
)


@dataclass(frozen=True)
class FaceDesign:
    """The settings that shape a synthetic data set, resolved from a preset and overrides."""

    balance: str
    intensity: tuple[float, float]
    ambiguity: float               # share of a drifting class's faces drawn partway toward its partner
    label_noise: float
    glasses: float
    hands: float
    hair: float
    # class -> the classes its ambiguous faces drift toward (None: the designed pairs' directions)
    drifts: tuple[tuple[str, tuple[str, ...]], ...] | None = None

    @classmethod
    def resolve(cls, preset: str, **overrides) -> "FaceDesign":
        values = {**PRESETS[preset], **{k: v for k, v in overrides.items() if v is not None}}
        values["intensity"] = tuple(float(v) for v in values["intensity"])
        if values["drifts"] is not None:
            values["drifts"] = tuple((name, tuple(targets)) for name, targets in values["drifts"].items())
        return cls(**values)

    def drift_map(self) -> dict[str, list[str]]:
        """Class -> the classes its ambiguous faces are drawn partway toward."""
        if self.drifts is not None:
            return {name: list(targets) for name, targets in self.drifts}
        designed: dict[str, list[str]] = {}
        for pair in DESIGNED_CONFUSIONS:
            designed.setdefault(pair.classes[0], []).append(pair.classes[1])
        return designed

    def drift_targets(self, labels: np.ndarray, draws: np.ndarray, class_names: tuple[str, ...]) -> np.ndarray:
        """The class each face of class `labels` drifts toward (-1: its class drifts toward none),
        picked by `draws` in [0, 1) where its class drifts toward several."""
        drifts = self.drift_map()
        targets = {c: [class_names.index(t) for t in drifts.get(name, []) if t in class_names] or [-1]
                   for c, name in enumerate(class_names)}
        return np.array([targets[int(k)][int(d * len(targets[int(k)]))] for k, d in zip(labels, draws)], np.int64)

    def class_counts(self, class_names: tuple[str, ...], per_class: int) -> np.ndarray:
        """Images per class: `per_class` x classes in all, split by the class frequencies."""
        total = per_class * len(class_names)
        if self.balance == "equal":
            return np.full(len(class_names), per_class, np.int64)
        weights = np.array([FER2013_COUNTS[name] for name in class_names], np.float64)
        return np.maximum(np.round(total * weights / weights.sum()).astype(np.int64), MIN_PER_CLASS)


def designed_confusions(class_names: tuple[str, ...]) -> list[ConfusablePair]:
    """The designed pairs whose two classes are both in `class_names`."""
    return [pair for pair in DESIGNED_CONFUSIONS if set(pair.classes) <= set(class_names)]


def pair_facts(pair: ConfusablePair) -> dict:
    """A designed pair as the facts state it: its classes, shared and distinct regions, and the
    regions that carry each class (EVIDENCE_REGIONS)."""
    return {**pair.as_dict(), "evidence": {name: list(EVIDENCE_REGIONS[name]) for name in pair.classes}}


EASY = FaceDesign.resolve("easy")
