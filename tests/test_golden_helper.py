"""The golden helper (tests/golden.py) can fail: a copy of an input, a missing file, a difference."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests import golden
from tests.golden import check_golden


def test_a_golden_file_that_copies_its_input_fails(tmp_path: Path) -> None:
    source, expected = tmp_path / "plan.json", tmp_path / "expected.json"
    source.write_text("{}\n")
    expected.write_text("{}\n")
    with pytest.raises(AssertionError, match="copy of its input"):
        check_golden(expected, "{}\n", inputs=[source])


def test_a_missing_or_different_golden_file_fails(tmp_path: Path) -> None:
    with pytest.raises(AssertionError, match="missing"):
        check_golden(tmp_path / "expected.txt", "x\n")
    (tmp_path / "expected.txt").write_text("x\n")
    with pytest.raises(AssertionError, match="differs"):
        check_golden(tmp_path / "expected.txt", "y\n")
    check_golden(tmp_path / "expected.txt", "x\n")


def test_the_update_switch_rewrites_instead_of_comparing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(golden, "UPDATE", True)
    check_golden(tmp_path / "new" / "expected.txt", "fresh\n")
    assert (tmp_path / "new" / "expected.txt").read_text() == "fresh\n"
