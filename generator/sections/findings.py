"""Flags across sections: attention outside the face, a region only one class uses, one region for all."""

from __future__ import annotations

from generator.analysis.findings import describe_flags
from generator.results import Results


def describe_all_flags(results: Results) -> list[dict]:
    """Every flag of every method whose regions the sections described, then section 5's."""
    per_method = {**results.saliency.facts["regions"], **results.cams.facts.get("regions", {}),
                  "lime": results.lime.facts["regions"]}
    background = results.data.regions.background
    flags = [flag for method, regions in per_method.items() for flag in describe_flags(regions, method, background)]
    for flag in flags:
        if flag["kind"] == "outside_face":
            flag["also"] = _also_on(per_method, flag)
    return flags + results.trust.facts.get("flags", [])


def _also_on(per_method: dict, flag: dict) -> list[str]:
    """The other methods whose maps of the flagged class also have the flagged region on top."""
    return [method for method, regions in per_method.items() if method != flag["method"]
            and regions["by_class"].get(flag["class"], {}).get("top") == flag["region"]]
