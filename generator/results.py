"""What each section computes, typed: one frozen dataclass per section, collected in `Results`.

A section function takes the run and the results so far and returns its own result; the
pipeline stores it in that section's one field of `Results`. A result holds the arrays
later sections and the export use, and `facts`: the section's part of facts.json (see
facts.schema.json), which its page is written from.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from generator.analysis.confusion import ConfusionFacts
from generator.analysis.regions import RegionScheme
from generator.analysis.samples import Samples
from generator.data import Dataset
from generator.explain.cams import ClassMeanCams
from generator.explain.filters import FilterPatterns
from generator.explain.lime_method import LimeResult
from generator.model.report_model import ReportModel


@dataclass(frozen=True)
class DataResult:
    dataset: Dataset
    facts: dict
    regions: RegionScheme


@dataclass(frozen=True)
class ModelResult:
    model: ReportModel
    facts: dict


@dataclass(frozen=True)
class EvaluationResult:
    probabilities: np.ndarray       # (N, K) on the evaluated split
    predictions: np.ndarray         # (N,)
    confusion: ConfusionFacts
    facts: dict


@dataclass(frozen=True)
class SamplesResult:
    chosen: Samples                 # one image per class
    probabilities: np.ndarray       # (S, K)
    predictions: np.ndarray         # (S,)
    facts: dict


@dataclass(frozen=True)
class ClassMapsResult:
    pick: np.ndarray                # (M,) indices into the evaluated split, class-balanced
    images: np.ndarray              # (M, H, W, C) those images in the model's input scale
    targets: np.ndarray             # (M,) their classes, the class each map explains
    maps: Mapping[str, np.ndarray]  # method key -> (M, H, W), for the gradient and CAM methods
    facts: dict


@dataclass(frozen=True)
class SaliencyResult:
    maps: Mapping[str, np.ndarray]  # method key -> (S, H, W), one map per sample image
    facts: dict


@dataclass(frozen=True)
class FiltersResult:
    layer: str | None               # None: the model has no convolution layer
    patterns: FilterPatterns | None
    feature_maps: np.ndarray | None  # (F, h, w) for the feature image
    facts: dict


@dataclass(frozen=True)
class LimeSectionResult:
    own_class: tuple[LimeResult, ...]        # each sample image explained for its true class
    predicted_class: tuple[LimeResult, ...]  # each misclassified one explained for its predicted class
    misclassified: tuple[int, ...]           # which sample images those are (indices into the samples)
    facts: dict
    # (J, S, H, W) the own-class weight maps after each judged stage of the randomisation check,
    # made in the same pass (None: not made here, section 5 is off or the model cannot be split)
    judged_maps: np.ndarray | None = None

    @property
    def maps(self) -> np.ndarray:
        """(S, H, W) weight maps of the own-class explanations."""
        return np.stack([r.weight_map for r in self.own_class])


@dataclass(frozen=True)
class CamsResult:
    layer: str | None                       # None: the model has no convolution layer
    maps: Mapping[str, np.ndarray]          # method key -> (S, H, W) for the sample images
    class_means: ClassMeanCams | None
    facts: dict


@dataclass(frozen=True)
class MistakesResult:
    facts: dict


@dataclass(frozen=True)
class TrustResult:
    facts: dict


@dataclass(frozen=True)
class Results:
    """Every section's result, in pipeline order; a section not yet run is None."""

    data: DataResult | None = None
    model: ModelResult | None = None
    evaluation: EvaluationResult | None = None
    samples: SamplesResult | None = None
    class_maps: ClassMapsResult | None = None
    saliency: SaliencyResult | None = None
    filters: FiltersResult | None = None
    lime: LimeSectionResult | None = None
    cams: CamsResult | None = None
    confusions: MistakesResult | None = None
    trust: TrustResult | None = None

    def with_result(self, section: str, result) -> "Results":
        """These results and `section`'s, written once."""
        if getattr(self, section) is not None:
            raise ValueError(f"the {section} result is already set")
        return dataclasses.replace(self, **{section: result})
