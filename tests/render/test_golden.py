"""Golden cases: tests/render/cases/<case>/plan.json -> expected.txt, expected.md.

The JSON form needs no expected file: every input is itself what plan_to_json writes
(test_plan_json_inputs_are_canonical), which proves the round trip.

UPDATE_GOLDEN=1 rewrites the expected files (tests/golden.py).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from reconciler.model import Plan
from reconciler.plan_file import plan_from_json
from reconciler.render import plan_to_json, render_plan_markdown, render_plan_text
from tests.golden import UPDATE, check_golden

CASES = Path(__file__).parent / "cases"

RENDERERS: dict[str, Callable[[Plan], str]] = {
    "expected.txt": lambda plan: render_plan_text(plan, color=False),
    "expected.md": render_plan_markdown,
}


def case_names() -> list[str]:
    return sorted(p.name for p in CASES.iterdir() if (p / "plan.json").is_file())


@pytest.mark.parametrize("case", case_names())
@pytest.mark.parametrize("output", sorted(RENDERERS))
def test_golden(case: str, output: str) -> None:
    folder = CASES / case
    plan = plan_from_json((folder / "plan.json").read_text(encoding="utf-8"), source=f"{case}/plan.json")
    check_golden(folder / output, RENDERERS[output](plan), inputs=[folder / "plan.json"])


def test_every_rung_has_a_case() -> None:
    names = set(case_names())
    assert {"no-changes", "settings", "hot-reload", "upload", "rebuild", "create", "delete"} <= names


@pytest.mark.parametrize("case", case_names())
def test_plan_json_inputs_are_canonical(case: str) -> None:
    # Each input is itself what plan_to_json writes, so the JSON golden proves the round trip.
    path = CASES / case / "plan.json"
    text = path.read_text(encoding="utf-8")
    if UPDATE:
        path.write_text(plan_to_json(plan_from_json(text)), encoding="utf-8")
        text = path.read_text(encoding="utf-8")
    assert plan_to_json(plan_from_json(text)) == text
