"""Stage timing and progress: `[n/N] stage ...` per stage; within long stages a bar on a terminal,
a compact line every few seconds in CI logs.

Each stage's record (wall time, whether it came from the cache, model calls and the
images they ran, counted by `generator.usage`) is what `run.json` holds.
"""

from __future__ import annotations

import functools
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


LINE_INTERVAL = 5.0    # seconds between two progress lines of one stage in a log (not a terminal)


class Progress:
    """Prints `[n/N] stage ...` for each stage of a run (N set by `plan`), and progress within long stages:
    a bar with elapsed time and ETA on a terminal, a line every LINE_INTERVAL seconds in a log."""

    def __init__(self, quiet: bool = False, stream=None, clock=time.monotonic, interval: float = LINE_INTERVAL):
        self.quiet = quiet
        self.stream = stream or sys.stderr
        self.clock, self.interval = clock, interval
        self.records: list[StageRecord] = []
        self.interactive = not quiet and self.stream.isatty()
        self.planned = 0      # N: the stages this run will report, skipped ones included
        self.reported = 0     # stages begun or skipped so far

    def say(self, text: str) -> None:
        if not self.quiet:
            print(text, file=self.stream, flush=True)

    def plan(self, stages: int) -> None:
        """The run reports `stages` stages from now on: they are numbered [1/stages] onwards."""
        self.planned, self.reported = stages, 0

    def _number(self) -> str:
        self.reported += 1
        return f"[{self.reported}/{self.planned}]" if self.planned else f"[{self.reported}]"

    @contextmanager
    def stage(self, name: str):
        record = StageRecord(name)
        self.say(f"{self._number()} {name} ...")
        start, calls, images = time.perf_counter(), usage.TOTAL.calls, usage.TOTAL.images
        try:
            yield record
        finally:
            record.seconds = round(time.perf_counter() - start, 3)
            record.model_calls = usage.TOTAL.calls - calls
            record.model_images = usage.TOTAL.images - images
            record.cached = record.cache_hits > 0 and record.cache_misses == 0
            self.records.append(record)

    def skip(self, name: str, reason: str) -> None:
        """A planned stage with nothing to do in this run: numbered like the others, not timed."""
        self.say(f"{self._number()} {name}: skipped ({reason})")

    def steps(self, total: int, unit: str):
        """Progress within a stage: call the result once per step done (or with `count`); close it
        at the end, or use it in a `with` block."""
        if self.interactive:
            from tqdm import tqdm

            return _TqdmSteps(tqdm(total=total, desc=f"    {unit}", unit="", file=self.stream, leave=False))
        return _LineSteps(self, total, unit)

    def summary(self) -> None:
        width = max((len(r.name) for r in self.records), default=0)
        self.say("stage times:")
        for r in self.records:
            origin = " (cache)" if r.cached else ""
            self.say(f"  {r.name:<{width}}  {r.seconds:7.1f} s{origin}")
        self.say(f"  {'total':<{width}}  {sum(r.seconds for r in self.records):7.1f} s")

    def ledger(self) -> list[dict]:
        return [asdict(r) for r in self.records]


class _Steps:
    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        pass


class _TqdmSteps(_Steps):
    """A terminal bar: steps done of all, elapsed time, time left, rate."""

    def __init__(self, bar):
        self.bar = bar

    def __call__(self, note: str = "", count: int = 1) -> None:
        if note:
            self.bar.set_postfix_str(note, refresh=False)
        self.bar.update(count)

    def close(self) -> None:
        self.bar.close()


class _LineSteps(_Steps):
    """In a log: one compact line when at least `interval` seconds passed since the stage's last line."""

    def __init__(self, progress: Progress, total: int, unit: str):
        self.progress, self.total, self.unit, self.done = progress, total, unit, 0
        self.start = self.last = progress.clock()

    def __call__(self, note: str = "", count: int = 1) -> None:
        self.done += count
        now = self.progress.clock()
        if now - self.last >= self.progress.interval:
            self.last = now
            self.progress.say(self.line(now - self.start, note))

    def line(self, elapsed: float, note: str = "") -> str:
        left = elapsed * (self.total - self.done) / self.done if self.done else 0.0
        suffix = f", {note}" if note else ""
        return f"    {self.unit} {self.done}/{self.total}, {elapsed:.0f} s, about {left:.0f} s left{suffix}"


def counted(function, step):
    """`function`, advancing the progress `step` by one after each call."""

    @functools.wraps(function)
    def call(*args, **kwargs):
        result = function(*args, **kwargs)
        step()
        return result

    return call
