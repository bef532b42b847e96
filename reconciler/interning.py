"""One object per distinct immutable value, for what a fleet repeats in every Space.

A fleet built from one template holds the same names and values thousands of times: variable
and card keys, `cpu-basic`, `gradio`, a secret's `fromEnv`, a lifecycle block, timestamps of
one bulk write. Parsed JSON and YAML give each occurrence an object of its own; a plan of
10,000 Spaces then holds megabytes of equal strings and rows (P6). Sharing them is safe only
because every value shared here is immutable: strings, and frozen models compared by value.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Mapping
from typing import Any, TypeVar

T = TypeVar("T")


def text(value: T) -> T:
    """`value` itself, or the one interned string equal to it. Interned strings are dropped by
    the interpreter once nothing else refers to them, so this keeps nothing alive."""
    if isinstance(value, str) and type(value) is str:  # isinstance narrows for the type checker
        return sys.intern(value)  # type: ignore[return-value]
    return value


def json_like(value: Any) -> Any:
    """A parsed JSON/YAML value with its mapping keys and strings interned, containers rebuilt
    alike (dict stays dict, list stays list); anything else is returned as is."""
    kind = type(value)
    if kind is str:
        return sys.intern(value)
    if kind is dict:
        return {text(k): json_like(v) for k, v in value.items()}
    if kind is list:
        return [json_like(v) for v in value]
    return value


def mapping(values: Mapping[str, T]) -> dict[str, T]:
    """A mapping of names to values with the names (and string values) interned."""
    return {sys.intern(k) if type(k) is str else k: text(v) for k, v in values.items()}


class Rows:
    """One instance per distinct value of hashable immutable rows (frozen models), for the
    lifetime of one load or observation; an equal row asked for again is the first one seen.

    Thread-safe: observation workers share one table. A frozen model's hash and equality are
    Python code, so two workers could each insert an equal row between them; the lock makes
    the insert one at a time, and the lookup before it keeps the common case lock-free."""

    def __init__(self) -> None:
        self._seen: dict[tuple[type, object], object] = {}
        self._lock = threading.Lock()

    def __call__(self, row: T) -> T:
        key = (type(row), row)
        found = self._seen.get(key)
        if found is None:
            with self._lock:
                found = self._seen.setdefault(key, row)
        return found  # type: ignore[return-value]

    def __len__(self) -> int:
        return len(self._seen)
