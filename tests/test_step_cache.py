"""The step cache alone: hits skip the computation, corrupt entries are recomputed, keys follow content."""

import dataclasses

import numpy as np

from generator.cache import StepCache, digest


class Counter:
    def __init__(self, value):
        self.calls, self.value = 0, value

    def __call__(self):
        self.calls += 1
        return self.value


def test_a_hit_does_not_call_the_step_again(tmp_path):
    cache, compute = StepCache(tmp_path), Counter({"a": np.arange(3)})
    first, hit1 = cache.run("step", 1, {"x": np.ones(4)}, compute)
    second, hit2 = cache.run("step", 1, {"x": np.ones(4)}, compute)
    assert (hit1, hit2) == (False, True)
    assert compute.calls == 1
    np.testing.assert_array_equal(second["a"], first["a"])


def test_changed_input_or_version_is_a_miss(tmp_path):
    cache, compute = StepCache(tmp_path), Counter(1)
    cache.run("step", 1, np.ones(4), compute)
    cache.run("step", 1, np.ones(4) * 2, compute)
    cache.run("step", 2, np.ones(4), compute)
    assert compute.calls == 3


def test_a_corrupt_entry_is_recomputed_not_a_crash(tmp_path):
    cache, compute = StepCache(tmp_path), Counter([1, 2])
    cache.run("step", 1, "in", compute)
    (entry,) = (tmp_path / "step").iterdir()
    entry.write_bytes(entry.read_bytes()[:5])
    value, hit = cache.run("step", 1, "in", compute)
    assert (value, hit, compute.calls) == ([1, 2], False, 2)


def test_writes_leave_no_temporary_files(tmp_path):
    cache = StepCache(tmp_path)
    cache.run("step", 1, "in", lambda: np.zeros(10))
    assert [p.name for p in (tmp_path / "step").iterdir() if p.name.startswith(".tmp")] == []


def test_digest_follows_content_dtype_and_shape():
    a = np.arange(6, dtype=np.float32)
    assert digest(a) == digest(a.copy())
    assert digest(a) != digest(a.astype(np.float64))
    assert digest(a) != digest(a.reshape(2, 3))
    assert digest({"b": 1, "a": 2}) == digest({"a": 2, "b": 1})

    @dataclasses.dataclass(frozen=True)
    class P:
        x: int

    assert digest(P(1)) != digest(P(2))


def test_clear_empties_the_cache(tmp_path):
    cache, compute = StepCache(tmp_path / "c"), Counter(1)
    cache.run("step", 1, "in", compute)
    cache.clear()
    cache.run("step", 1, "in", compute)
    assert compute.calls == 2
