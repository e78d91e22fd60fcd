"""One configuration field with its one-line documentation, which the settings table reads back."""

from __future__ import annotations

import dataclasses
from typing import Any


def setting(default: Any = dataclasses.MISSING, doc: str = "", *, factory: Any = dataclasses.MISSING) -> Any:
    """A dataclass field whose `metadata["doc"]` says what the setting does, in one line."""
    if not doc or "\n" in doc:
        raise ValueError("a setting needs a one-line doc")
    return dataclasses.field(default=default, default_factory=factory, metadata={"doc": doc})
