"""Golden files: the one comparison every golden test makes.

Run the tests with UPDATE_GOLDEN=1 to rewrite each expected file from the current output instead
of comparing, after an intended change; then review the diff (`git diff tests/`) before
committing. A golden file is output, never a copy of its test's input: `inputs` names the files
it was made from, and one byte-identical to any of them fails (it would compare an input with
itself and could not fail).
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

UPDATE = os.environ.get("UPDATE_GOLDEN") == "1"


def check_golden(expected: Path, actual: str, *, inputs: Iterable[Path] = ()) -> None:
    if UPDATE:
        expected.parent.mkdir(parents=True, exist_ok=True)
        expected.write_text(actual, encoding="utf-8")
    assert expected.is_file(), f"{expected} is missing: run with UPDATE_GOLDEN=1, then review the diff"
    for source in inputs:
        assert source.read_bytes() != expected.read_bytes(), f"{expected} is a copy of its input {source}"
    assert actual == expected.read_text(encoding="utf-8"), f"{expected} differs (UPDATE_GOLDEN=1 to accept)"
