"""Stage timing and progress: a bar on a terminal, plain one-line progress in CI logs.

Each stage's record (wall time, whether it came from the cache, model calls and the
images they ran, counted by `generator.usage`) is what `run.json` holds.
"""

from __future__ import annotations

import sys
import time
from contextlib import contextmanager
from dataclasses import asdict, dataclass

from generator import usage


@dataclass
class StageRecord:
    name: str
    seconds: float = 0.0
    cached: bool = False        # every cached step of the stage was a hit
    model_calls: int = 0        # compiled (or eager) model executions, each over one batch
    model_images: int = 0       # images sent through the model
    cache_hits: int = 0
    cache_misses: int = 0

    def note_cache(self, hit: bool) -> None:
        if hit:
            self.cache_hits += 1
        else:
            self.cache_misses += 1


class Progress:
    def __init__(self, quiet: bool = False, stream=None):
        self.quiet = quiet
        self.stream = stream or sys.stderr
        self.records: list[StageRecord] = []
        self.interactive = not quiet and self.stream.isatty()

    def say(self, text: str) -> None:
        if not self.quiet:
            print(text, file=self.stream, flush=True)

    @contextmanager
    def stage(self, name: str):
        record = StageRecord(name)
        self.say(f"[{len(self.records) + 1}] {name} ...")
        start, calls, images = time.perf_counter(), usage.TOTAL.calls, usage.TOTAL.images
        try:
            yield record
        finally:
            record.seconds = round(time.perf_counter() - start, 3)
            record.model_calls = usage.TOTAL.calls - calls
            record.model_images = usage.TOTAL.images - images
            record.cached = record.cache_hits > 0 and record.cache_misses == 0
            self.records.append(record)

    def steps(self, total: int, label: str):
        """A callable advancing a progress display by one step; call `.close()` at the end."""
        if self.interactive:
            from tqdm import tqdm

            return _TqdmSteps(tqdm(total=total, desc=label, file=self.stream, leave=False))
        return _LineSteps(self, total, label)

    def summary(self) -> None:
        width = max((len(r.name) for r in self.records), default=0)
        self.say("stage times:")
        for r in self.records:
            origin = " (cache)" if r.cached else ""
            self.say(f"  {r.name:<{width}}  {r.seconds:7.1f} s{origin}")
        self.say(f"  {'total':<{width}}  {sum(r.seconds for r in self.records):7.1f} s")

    def ledger(self) -> list[dict]:
        return [asdict(r) for r in self.records]


class _TqdmSteps:
    def __init__(self, bar):
        self.bar = bar

    def __call__(self, note: str = "") -> None:
        if note:
            self.bar.set_postfix_str(note)
        self.bar.update(1)

    def close(self) -> None:
        self.bar.close()


class _LineSteps:
    def __init__(self, progress: Progress, total: int, label: str):
        self.progress, self.total, self.label, self.done = progress, total, label, 0

    def __call__(self, note: str = "") -> None:
        self.done += 1
        suffix = f" {note}" if note else ""
        self.progress.say(f"    {self.label} {self.done}/{self.total}{suffix}")

    def close(self) -> None:
        pass
