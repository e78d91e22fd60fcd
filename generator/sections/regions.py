"""Where each explanation's mass falls among the face regions: the facts the commentary reads.

Synthetic faces carry exact region maps; real faces use the configurable template.
"""

from __future__ import annotations

import numpy as np

from generator.analysis.regions import describe_attribution, template_region_map
from generator.context import Run
from generator.vocabulary import REGIONS


def region_maps_for(run: Run, split, shape: tuple[int, int]) -> np.ndarray:
    """(N, H, W) region maps of the images of `split` at a map's size `shape`."""
    if split.regions is None:
        return np.broadcast_to(template_region_map(shape, run.config.regions), (len(split), *shape))
    regions = split.regions
    if regions.shape[1:] == tuple(shape):
        return regions
    rows = (np.arange(shape[0]) * regions.shape[1]) // shape[0]   # nearest neighbour
    cols = (np.arange(shape[1]) * regions.shape[2]) // shape[1]
    return regions[:, rows][:, :, cols]


def describe_sample_maps(run: Run, maps: np.ndarray) -> dict:
    """Region shares of one method's maps (one per sample image): per class, and over all classes."""
    samples = run.results["samples"]
    per_image = describe_attribution(maps, region_maps_for(run, samples.split, maps.shape[1:]))
    by_class = {cls: shares.as_dict() for cls, shares in zip(samples.classes, per_image)}
    return {"by_class": by_class, "overall": _overall(by_class)}


def _overall(by_class: dict) -> dict:
    """Mean share and density of each region over the classes, and the regions ranked by share."""
    described = [facts for facts in by_class.values() if facts["top"] is not None]
    if not described:
        return {"shares": {}, "density": {}, "ranking": [], "top": None, "margin": 0.0, "top_by_density": None,
                "classes_by_top": {}}
    shares = {r: round(float(np.mean([f["shares"][r] for f in described])), 4) for r in REGIONS}
    density = {r: _mean([f["density"][r] for f in described]) for r in REGIONS}
    ranking = sorted((r for r in REGIONS if shares[r] > 0), key=lambda r: (-shares[r], REGIONS.index(r)))
    dense = sorted((r for r in REGIONS if density[r]), key=lambda r: (-density[r], REGIONS.index(r)))
    tops = [f["top"] for f in described]
    second = shares[ranking[1]] if len(ranking) > 1 else 0.0
    return {"shares": shares, "density": density, "ranking": ranking[:3], "top": ranking[0],
            "margin": round(shares[ranking[0]] - second, 4),
            "top_by_density": dense[0] if dense else None,
            "classes_by_top": {r: tops.count(r) for r in REGIONS if r in tops}}


def _mean(values) -> float | None:
    present = [v for v in values if v is not None]
    return round(float(np.mean(present)), 4) if present else None
