"""Flags across sections: attention outside the face, a region only one class uses, one region for all."""

from __future__ import annotations

from generator.analysis.findings import describe_flags
from generator.results import Results


def describe_all_flags(results: Results) -> list[dict]:
    """Every flag of every method whose per-class region shares the sections measured, then section 5's."""
    per_method = {**results.saliency.facts["regions"], **results.cams.facts.get("regions", {}),
                  "lime": results.lime.facts["regions"]}
    flags = []
    for method, regions in per_method.items():
        shares = {cls: facts["shares"] for cls, facts in regions["by_class"].items()}
        flags += describe_flags(shares, method)
    return flags + results.trust.facts.get("flags", [])
