"""Where each explanation's mass falls among the face regions: the facts the commentary reads.

Synthetic faces carry exact region maps; real faces use the configurable template.
"""

from __future__ import annotations

import numpy as np

from generator.analysis.regions import describe_attribution, summarise_classes, template_region_map
from generator.analysis.samples import Samples
from generator.config import Config
from generator.data import Split


def region_maps_for(config: Config, split: Split, shape: tuple[int, int]) -> np.ndarray:
    """(N, H, W) region maps of the images of `split` at a map's size `shape`."""
    if split.regions is None:
        return np.broadcast_to(template_region_map(shape, config.regions), (len(split), *shape))
    regions = split.regions
    if regions.shape[1:] == tuple(shape):
        return regions
    rows = (np.arange(shape[0]) * regions.shape[1]) // shape[0]   # nearest neighbour
    cols = (np.arange(shape[1]) * regions.shape[2]) // shape[1]
    return regions[:, rows][:, :, cols]


def describe_sample_maps(config: Config, samples: Samples, maps: np.ndarray) -> dict:
    """Region shares of one method's maps (one per sample image): per class, and over all classes."""
    per_image = describe_attribution(maps, region_maps_for(config, samples.split, maps.shape[1:]))
    by_class = {cls: shares.as_dict() for cls, shares in zip(samples.classes, per_image)}
    return {"by_class": by_class, "overall": summarise_classes(by_class)}
