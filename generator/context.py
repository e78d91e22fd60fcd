"""What one run carries from step to step: config, paths, step cache, progress and staged output."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from generator.cache import StepCache
from generator.config import Config
from generator.output import Staging
from generator.progress import Progress, StageRecord

# Bump when shared drawing code changes how every figure looks (2: words moved to the pages; 3: colour
# images in colour, drawn gray under maps and tints).
FIGURE_VERSION = 3


def figure_png(figure) -> bytes:
    """A Figure's PNG bytes (matplotlib is imported only when a figure is drawn)."""
    from generator.figures.common import figure_png as png

    return png(figure)


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
class Run:
    """One run's settings and where its steps cache their values and stage their files."""

    config: Config
    paths: Paths
    cache: StepCache
    progress: Progress
    staging: Staging
    unsafe_model: bool = False

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
