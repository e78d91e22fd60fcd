"""Content-hash step cache: key = hash(step name, step version, inputs, parameters).

Bump a step's version constant by hand when its code changes meaning, so an
unrelated edit does not invalidate it. Writes are atomic (temp file + rename);
a corrupt entry counts as a miss and is recomputed, never a crash.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import pickle
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any, Callable

import numpy as np


def digest(*parts: Any) -> str:
    """A stable sha256 hex digest of arrays, dataclasses, mappings, sequences and scalars."""
    hasher = hashlib.sha256()
    for part in parts:
        _feed(hasher, part)
    return hasher.hexdigest()


def _feed(hasher, value: Any) -> None:
    if isinstance(value, np.ndarray):
        hasher.update(f"nd{value.dtype.str}{value.shape}".encode())
        hasher.update(np.ascontiguousarray(value).tobytes())
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        hasher.update(type(value).__name__.encode())
        _feed(hasher, {f.name: getattr(value, f.name) for f in dataclasses.fields(value)})
    elif isinstance(value, dict):
        hasher.update(b"{")
        for key in sorted(value, key=str):
            _feed(hasher, str(key))
            _feed(hasher, value[key])
        hasher.update(b"}")
    elif isinstance(value, (list, tuple)):
        hasher.update(b"[")
        for item in value:
            _feed(hasher, item)
        hasher.update(b"]")
    elif isinstance(value, bytes):
        hasher.update(b"b" + value)
    elif isinstance(value, Path):  # a file's content, streamed
        with value.open("rb") as handle:
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                hasher.update(chunk)
    else:
        hasher.update(json.dumps(value, sort_keys=True, default=repr).encode())


class StepCache:
    """Stores one value per key under `root`; `load`/`save` choose the on-disk form."""

    def __init__(self, root: Path):
        self.root = Path(root)

    def path(self, step: str, key: str, suffix: str = ".pkl") -> Path:
        return self.root / step / f"{key}{suffix}"

    def run(self, step: str, version: int, inputs: Any, compute: Callable[[], Any],
            save: Callable[[Any, Path], None] | None = None,
            load: Callable[[Path], Any] | None = None, suffix: str = ".pkl") -> tuple[Any, bool]:
        """Return (value, came_from_cache). `compute` runs only on a miss."""
        path = self.path(step, digest(step, version, inputs), suffix)
        found, value = self._read(path, load or _load_pickle)
        if found:
            return value, True
        value = compute()
        self._write(path, value, save or _save_pickle)
        return value, False

    def get(self, step: str, version: int, inputs: Any) -> tuple[bool, Any]:
        """(True, value) of a stored (pickled) entry, or (False, None)."""
        return self._read(self.path(step, digest(step, version, inputs)), _load_pickle)

    def put(self, step: str, version: int, inputs: Any, value: Any) -> None:
        """Store `value` (pickled) as the entry of these inputs."""
        self._write(self.path(step, digest(step, version, inputs)), value, _save_pickle)

    def _read(self, path: Path, load: Callable[[Path], Any]) -> tuple[bool, Any]:
        if path.exists():
            try:
                return True, load(path)
            except Exception:  # a corrupt or unreadable entry is a miss
                path.unlink(missing_ok=True)
        return False, None

    def _write(self, path: Path, value: Any, save: Callable[[Any, Path], None]) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=path.suffix)
        os.close(fd)
        try:
            save(value, Path(temp))
            os.replace(temp, path)
        finally:
            if os.path.exists(temp):
                os.unlink(temp)

    def clear(self) -> None:
        if self.root.exists():
            shutil.rmtree(self.root)


def files_of(path: Path | None) -> list:
    """A file, or every file of a folder, by name and content (as `digest` reads a Path); [] for none."""
    if not path or not path.exists():
        return []
    files = sorted(p for p in ([path] if path.is_file() else path.rglob("*")) if p.is_file())
    return [(p.relative_to(path.parent).as_posix(), p) for p in files]


def installed_packages() -> list[str]:
    """The installed distributions, as their metadata folders name them (name and version): cheap to
    list, and different whenever a package is added, removed or upgraded."""
    return sorted(name for folder in sys.path if os.path.isdir(folder) for name in os.listdir(folder)
                  if name.endswith((".dist-info", ".egg-info")))


def _save_pickle(value: Any, path: Path) -> None:
    path.write_bytes(pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))


def _load_pickle(path: Path) -> Any:
    return pickle.loads(path.read_bytes())
