"""The shipped example policies compile and judge the Spaces they are written for."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from reconciler.errors import Location
from reconciler.manifests import load_manifests
from reconciler.model import Action, Cost, DesiredSpace, Plan, PlanEntry, Rung, SecretRef
from reconciler.policy import Inputs, evaluate
from reconciler.policy.engine import evaluate_fleet
from reconciler.policy.inputs import plan_input

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "policies"


def policies() -> Any:
    result = load_manifests([EXAMPLES])
    assert result.ok, [str(d) for d in result.diagnostics]
    assert len(result.policies) == 5
    return result.policies


def space(space_id: str = "acme/demo", **fields: Any) -> DesiredSpace:
    return DesiredSpace(id=space_id, source_ref=Location(file="m.yaml", line=1, col=1), sdk="gradio", **fields)


def broken(desired: DesiredSpace, shared: Inputs | None = None, entry: PlanEntry | None = None) -> list[str]:
    shared = shared or Inputs(plan=plan_input(None), context={"labels": []}, today=dt.date(2026, 12, 1))
    return [f.qualified for f in evaluate(policies(), desired, shared, entry=entry)]


@pytest.mark.parametrize(
    ("desired", "expected"),
    [
        (space(), []),
        (space(hardware="t4-small"), ["gpu-needs-sleep/sleep-on-gpu"]),
        (space(hardware="t4-small", sleep_time=3600), []),
        (space(hardware="a10g-large", sleep_time=3600), ["acme-hardware/allowed-flavors"]),
        (space("acme-internal/tool"), ["internal-is-private/not-public"]),
        (space("acme-internal/tool", visibility="private"), []),
        (
            space("acme-prod/app", secrets={"K": SecretRef(from_env="K", preview=True)}),
            ["prod-secrets/no-preview-secrets"],
        ),
        (space("acme-prod/app", secrets={"K": SecretRef(from_env="K")}), []),
    ],
)
def test_space_rules(desired: DesiredSpace, expected: list[str]) -> None:
    assert broken(desired) == expected


def test_budget_rule_reads_the_plan_and_the_pull_request_labels() -> None:
    entry = PlanEntry(id="acme/demo", action=Action.UPDATE, rung=Rung.SETTINGS, cost=Cost(after_usd_per_hour=0.6))
    plan = Plan(created_at="2026-12-01T00:00:00Z", hub="local", spaces=(entry,), monthly_cost_delta_usd=438.0)
    unlabelled = Inputs(plan=plan_input(plan), context={"labels": []}, today=dt.date(2026, 12, 1))
    approved = Inputs(plan=plan_input(plan), context={"labels": ["cost-approved"]}, today=dt.date(2026, 12, 1))
    desired = {"acme/demo": space()}
    assert [f.qualified for f in evaluate_fleet(policies(), plan, desired, unlabelled)] == ["budget/monthly-budget"]
    assert evaluate_fleet(policies(), plan, desired, approved) == []
