"""The README's main job: plan -> apply -> plan showing no changes, on the example fleet."""

from __future__ import annotations

import json
from pathlib import Path

from reconciler.localhub import LocalHub
from tests.e2e.conftest import run_cli


def test_plan_apply_plan_converges(hub: LocalHub, fleet: Path) -> None:
    first = run_cli("plan", "--detailed-exitcode", "--out", "plan.json")
    assert first.code == 2, first.output
    plan = json.loads((fleet / "plan.json").read_text())
    assert {e["rung"] for e in plan["spaces"]} == {"create"}
    assert plan["summary"]["create"] == len(plan["spaces"]) == 5

    applied = run_cli("apply", "--plan", "plan.json", "--timeout", "60s")
    assert applied.code == 0, applied.output
    assert "5 applied" in applied.stdout

    again = run_cli("plan", "--detailed-exitcode")
    assert again.code == 0, again.output
    assert "No changes" in again.stdout
