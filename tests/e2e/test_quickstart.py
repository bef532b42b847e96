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


def test_a_variable_change_on_the_embedded_hub_is_seen_running(fleet: Path) -> None:
    # The embedded Hub's restart must last longer than the health gate's default poll interval:
    # a restart shorter than one poll is invisible (no runtime sha, hub-contract §13), and the
    # second apply of the README's walk-through ended "committed" after a minute's grace.
    target = ("--target", "local/docker-echo")
    created = run_cli("--hub", "local", "apply", "--auto-approve", *target)
    assert created.code == 0 and "1 applied" in created.stdout, created.output
    manifest = fleet / "manifests" / "docker-echo.yaml"
    manifest.write_text(manifest.read_text().replace('ECHO_PREFIX: "echo: "', 'ECHO_PREFIX: "echo> "'))
    changed = run_cli("--hub", "local", "apply", "--auto-approve", *target)
    assert changed.code == 0, changed.output
    assert "rung: settings" in changed.output and "1 applied, 0 committed" in changed.stdout, changed.output
