"""Golden cases: each folder under cases/ holds manifests/ (+ app folders) and expected.txt.

UPDATE_GOLDEN=1 rewrites expected.txt from the current output (tests/golden.py).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.manifests import load_manifests
from tests.golden import check_golden
from tests.manifests.helpers import render

CASES = Path(__file__).parent / "cases"


@pytest.mark.parametrize("case", sorted(p for p in CASES.iterdir() if p.is_dir()), ids=lambda p: p.name)
def test_case(case: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(case)
    result = load_manifests([Path("manifests")], repo_root=case)
    actual = render(result, case)
    check_golden(case / "expected.txt", actual)
    assert all(d.location is not None for d in result.diagnostics)
