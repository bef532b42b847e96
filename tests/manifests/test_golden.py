"""Golden cases: each folder under cases/ holds manifests/ (+ app folders) and expected.txt.

Run with UPDATE_GOLDEN=1 to rewrite expected.txt from the current output, then review the diff.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from reconciler.manifests import load_manifests
from tests.manifests.helpers import render

CASES = Path(__file__).parent / "cases"


@pytest.mark.parametrize("case", sorted(p for p in CASES.iterdir() if p.is_dir()), ids=lambda p: p.name)
def test_case(case: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(case)
    result = load_manifests([Path("manifests")], repo_root=case)
    actual = render(result, case)
    expected = case / "expected.txt"
    if os.environ.get("UPDATE_GOLDEN") == "1":
        expected.write_text(actual, encoding="utf-8")
    assert expected.is_file(), f"no {expected}; run with UPDATE_GOLDEN=1 to create it"
    assert actual == expected.read_text(encoding="utf-8")
    assert all(d.location is not None for d in result.diagnostics)
