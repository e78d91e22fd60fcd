"""What one run carries from step to step: config, paths, cache, progress and the results so far."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np

from generator.cache import StepCache, digest
from generator.config import Config
from generator.figures.common import figure_png
from generator.output import Staging
from generator.progress import Progress, StageRecord

FIGURE_VERSION = 1  # bump when shared drawing code changes how every figure looks


@dataclass(frozen=True)
class Paths:
    root: Path          # the folder holding the report config and mkdocs.yml

    @property
    def docs(self) -> Path:
        return self.root / "docs"

    @property
    def site(self) -> Path:
        return self.root / "site"

    @property
    def mkdocs_yml(self) -> Path:
        return self.root / "mkdocs.yml"


@dataclass(frozen=True)
class ReportModel:
    """The model being explained and how images reach it."""

    model: Any                       # keras.Model, functional, softmax output
    model_id: str                    # content digest: keys every downstream cache entry
    source: str                      # "trained" or the model file's path
    input_shape: tuple[int, int, int]
    to_input: Callable[[np.ndarray], np.ndarray]   # [0, 1] gray images -> model input
    notes: tuple[str, ...] = ()      # adaptations made (resized, channels, softmax applied, ...)
    history: dict | None = None      # training curves (trained models only)
    best_epoch: int | None = None


@dataclass
class Run:
    config: Config
    paths: Paths
    cache: StepCache
    progress: Progress
    staging: Staging
    unsafe_model: bool = False
    results: dict[str, Any] = field(default_factory=dict)   # step name -> its result
    facts: dict[str, Any] = field(default_factory=dict)     # what facts.json holds

    def figure(self, name: str, inputs: Any, plot: Callable[[], Any], version: int = 1,
               record: StageRecord | None = None) -> str:
        """Draw (or reuse the cached PNG of) figure `name`; stage it; return its docs-relative path."""
        png, hit = self.cache.run("figure", FIGURE_VERSION * 1000 + version, (name, inputs),
                                  lambda: figure_png(plot()))
        if record is not None:
            record.note_cache(hit)
        return self.staging.write(f"figures/{name}.png", png)

    def cached(self, step: str, version: int, inputs: Any, compute: Callable[[], Any],
               record: StageRecord) -> Any:
        """A cached step; the stage record notes whether it was a hit."""
        value, hit = self.cache.run(step, version, inputs, compute)
        record.note_cache(hit)
        return value


def model_digest(model) -> str:
    """Architecture and weights, hashed: equal digests mean the same function."""
    return digest(model.to_json(), [np.asarray(w) for w in model.get_weights()])
