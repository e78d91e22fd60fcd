"""Stage numbering [n/N] and progress within a stage as a log shows it: a line every few seconds, not every step."""

import io

from generator.progress import Progress, counted


class FakeClock:
    def __init__(self):
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def log_progress(clock=None, interval: float = 5.0) -> tuple[Progress, io.StringIO]:
    stream = io.StringIO()     # not a terminal: plain lines
    return Progress(stream=stream, clock=clock or FakeClock(), interval=interval), stream


def test_stages_are_numbered_out_of_the_planned_count_skipped_ones_included():
    progress, stream = log_progress()
    progress.plan(3)
    with progress.stage("load data"):
        pass
    progress.skip("filter patterns", "the model has no convolution layer")
    with progress.stage("build site"):
        pass
    assert stream.getvalue().splitlines() == [
        "[1/3] load data ...",
        "[2/3] filter patterns: skipped (the model has no convolution layer)",
        "[3/3] build site ..."]
    assert [record["name"] for record in progress.ledger()] == ["load data", "build site"]


def test_a_log_gets_one_line_per_interval_with_elapsed_time_and_time_left():
    clock = FakeClock()
    progress, stream = log_progress(clock, interval=5.0)
    with progress.steps(40, "image") as step:
        for _ in range(40):
            clock.now += 0.5          # 0.5 s per image: 20 s in all
            step()
    lines = stream.getvalue().splitlines()
    assert lines == ["    image 10/40, 5 s, about 15 s left",
                     "    image 20/40, 10 s, about 10 s left",
                     "    image 30/40, 15 s, about 5 s left",
                     "    image 40/40, 20 s, about 0 s left"]


def test_fast_steps_print_nothing_and_notes_and_counts_are_shown():
    clock = FakeClock()
    progress, stream = log_progress(clock, interval=5.0)
    with progress.steps(12, "epoch") as step:
        step("loss 2.000")
        assert stream.getvalue() == ""             # within the first interval: no line
        clock.now += 6.0
        step("loss 1.500", count=3)
    assert stream.getvalue() == "    epoch 4/12, 6 s, about 12 s left, loss 1.500\n"


def test_quiet_prints_nothing():
    clock = FakeClock()
    stream = io.StringIO()
    progress = Progress(quiet=True, stream=stream, clock=clock)
    progress.plan(1)
    with progress.stage("train model"), progress.steps(3, "epoch") as step:
        for _ in range(3):
            clock.now += 10.0
            step()
    progress.summary()
    assert stream.getvalue() == ""


def test_counted_advances_the_progress_once_per_call():
    done = []
    double = counted(lambda x: 2 * x, lambda: done.append(1))
    assert [double(1), double(2)] == [2, 4] and len(done) == 2
