"""What went through a model: counted where a model is run, read by each stage's record.

Every call that runs a model (or part of one) over a batch of images adds itself here;
`Progress.stage` records the change over the stage, so a step served from the cache
shows no model use. One call is one compiled (or eager) execution over one batch.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class ModelUse:
    calls: int = 0
    images: int = 0


TOTAL = ModelUse()


def count(images: int, calls: int = 1) -> None:
    """Note `calls` model calls that together ran `images` images."""
    TOTAL.calls += int(calls)
    TOTAL.images += int(images)


def batches(images: int, batch_size: int) -> int:
    """Calls needed to run `images` images `batch_size` at a time."""
    return -(-int(images) // max(1, int(batch_size)))
