"""Section 5 measures: are the explanations faithful, model-dependent, well placed and consistent?

Each measure is a pure array function returning a frozen dataclass; see its module.
"""

from generator.analysis.trust.agreement import AgreementResult, compute_agreement
from generator.analysis.trust.deletion import (
    BASELINES,
    MIN_GAIN,
    SIGNIFICANCE,
    CurveSet,
    DeletionInsertionResult,
    compare_with_random,
    compute_deletion_insertion,
)
from generator.analysis.trust.localisation import (
    LocalisationResult,
    compute_localisation,
    localisation_lift,
    low_localisation_flags,
)
from generator.analysis.trust.randomisation import (
    RandomisationResult,
    compute_randomisation_check,
    judged,
    judged_stages,
    merged,
    randomisation_outputs,
    randomisation_stages,
)
from generator.analysis.trust.ranks import rank_correlation

__all__ = [
    "AgreementResult", "compute_agreement",
    "BASELINES", "MIN_GAIN", "SIGNIFICANCE",
    "CurveSet", "DeletionInsertionResult", "compare_with_random", "compute_deletion_insertion",
    "LocalisationResult", "compute_localisation", "localisation_lift", "low_localisation_flags",
    "RandomisationResult", "compute_randomisation_check", "judged", "judged_stages", "merged",
    "randomisation_outputs", "randomisation_stages",
    "rank_correlation",
]
