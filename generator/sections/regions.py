"""Where each explanation's mass falls among the regions: the facts the commentary reads.

Synthetic faces carry exact region maps; real faces use the configurable template; other
data the neutral grid (or one whole-image region with `regions: none`). A method's
regions are described per class over many test images where its maps of them exist (the
class-level maps), and always for the sample image each figure shows.
"""

from __future__ import annotations

import numpy as np

from generator.analysis.regions import (
    RegionScheme,
    describe_attribution,
    describe_attribution_mean,
    summarise_classes,
)
from generator.analysis.samples import Samples
from generator.data import Split
from generator.results import Results


def region_maps_for(scheme: RegionScheme, split: Split, shape: tuple[int, int]) -> np.ndarray:
    """(N, H, W) region maps (indices into `scheme.names`) of the images of `split` at a map's size
    `shape`: the images' own face regions where they have them, else the scheme's template."""
    if split.regions is None or scheme.kind != "face":
        return np.broadcast_to(scheme.template(tuple(shape)), (len(split), *shape))
    regions = split.regions
    if regions.shape[1:] == tuple(shape):
        return regions
    rows = (np.arange(shape[0]) * regions.shape[1]) // shape[0]   # nearest neighbour
    cols = (np.arange(shape[1]) * regions.shape[2]) // shape[1]
    return regions[:, rows][:, :, cols]


def describe_method_regions(results: Results, key: str, sample_maps: np.ndarray) -> dict:
    """A method's regions: per class ("by_class", over the class's test images when its class-level
    maps exist, else the sample image: "basis" says which), per sample image ("samples"), and
    summarised over the classes ("overall")."""
    samples, scheme = results.samples.chosen, results.data.regions
    names = scheme.names
    sampled = _sample_regions(scheme, samples, sample_maps)
    class_maps = results.class_maps
    if key not in class_maps.maps:
        return {"basis": "sample", "images": {cls: 1 for cls in sampled}, "by_class": sampled, "samples": sampled,
                "overall": summarise_classes(sampled, names)}
    maps = class_maps.maps[key]
    split = results.data.dataset.evaluation.take(class_maps.pick)
    regions = region_maps_for(scheme, split, maps.shape[1:])
    classes = results.data.dataset.class_names
    members = {name: class_maps.targets == k for k, name in enumerate(classes) if np.any(class_maps.targets == k)}
    by_class = {name: describe_attribution_mean(maps[pick], regions[pick], names).as_dict()
                for name, pick in members.items()}
    return {"basis": "class", "images": {name: int(pick.sum()) for name, pick in members.items()},
            "by_class": by_class, "samples": sampled, "overall": summarise_classes(by_class, names)}


def _sample_regions(scheme: RegionScheme, samples: Samples, maps: np.ndarray) -> dict:
    per_image = describe_attribution(maps, region_maps_for(scheme, samples.split, maps.shape[1:]), scheme.names)
    return {cls: facts.as_dict() for cls, facts in zip(samples.classes, per_image)}
