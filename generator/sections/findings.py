"""Flags across sections: attention outside the face, a region only one class uses, one region for all."""

from __future__ import annotations

from generator.analysis.findings import describe_flags


def describe_all_flags(facts: dict) -> list[dict]:
    """Every flag of every method whose per-class region shares are in `facts`."""
    per_method = dict(facts["saliency"]["regions"])
    per_method.update(facts["cams"].get("regions", {}))
    per_method["lime"] = facts["lime"]["regions"]
    flags = []
    for method, regions in per_method.items():
        shares = {cls: shares["shares"] for cls, shares in regions["by_class"].items()}
        flags += describe_flags(shares, method)
    return flags + facts["trust"].get("flags", [])
