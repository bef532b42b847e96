"""Policy rules: compile-time checks (FILE:LINE:COL), each variable, severities, exemptions."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from reconciler.errors import Location, Severity
from reconciler.manifests.schema_models import Policy
from reconciler.model import (
    Action,
    Change,
    Cost,
    DesiredSpace,
    ObservedSpace,
    Plan,
    PlanEntry,
    Rung,
    SecretRef,
)
from reconciler.model import PolicyOutcome as Outcome
from reconciler.policy import EXEMPT_LABEL, Inputs, Phase, compile_policy, evaluate, exemption_problem
from reconciler.policy.engine import evaluate_fleet
from reconciler.policy.inputs import context_input, plan_input

TODAY = dt.date(2026, 12, 1)


def policy(*rules: dict[str, Any], match: dict[str, Any] | None = None) -> Policy:
    return Policy.model_validate(
        {
            "apiVersion": "spaces-reconciler/v1",
            "kind": "Policy",
            "metadata": {"name": "org"},
            "spec": {"match": match or {}, "rules": list(rules)},
        }
    )


def locate(path: tuple[str | int, ...]) -> Location:
    return Location("policies.yaml", 10 + int(path[2]), 17)


def compiled(*rules: dict[str, Any], match: dict[str, Any] | None = None) -> Any:
    result, problems = compile_policy(policy(*rules, match=match), locate)
    assert not problems, [str(p) for p in problems]
    assert result is not None
    return result


def space(**fields: Any) -> DesiredSpace:
    base: dict[str, Any] = {"id": "acme/demo", "source_ref": Location(file="m.yaml", line=1, col=1), "sdk": "gradio"}
    return DesiredSpace(**{**base, **fields})


def rule(expression: str, severity: str = "error", name: str = "r") -> dict[str, Any]:
    return {"name": name, "expression": expression, "message": "broken", "severity": severity}


SHARED = Inputs(plan=plan_input(None), context=context_input({}), today=TODAY)
GPU_SLEEP = "!space.spec.hardware.startsWith('cpu') ? space.spec.sleepTime > 0 : true"


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("space.spec.hardwre == 'x'", "unknown field 'hardwre' in space.spec; did you mean 'hardware'?"),
        ("spaec.spec.hardware == 'x'", "unknown variable 'spaec'; did you mean 'space'?"),
        ("space.spec.hardware ==", "syntax error"),
        ("space.spec.sleepTime + 'a' == 1", "type error"),
        ("space.spec.sleepTime.startsWith('a')", "type error: no function 'startsWith' for the value it is called on"),
        ("space.spec.hardware", "must be true or false"),
        (
            "change.cost.monthlyDelta > 1.0",
            "unknown field 'monthlyDelta' in change.cost; did you mean 'monthlyDeltaUsd'?",
        ),
    ],
)
def test_a_broken_rule_is_a_located_error_at_load_time(expression: str, expected: str) -> None:
    result, problems = compile_policy(policy(rule(expression)), locate)
    assert result is None
    assert len(problems) == 1 and problems[0].severity is Severity.ERROR
    assert expected in problems[0].message
    assert str(problems[0].location) == "policies.yaml:10:17"


def test_user_maps_accept_any_key_and_strings_are_not_field_paths() -> None:
    compiled(rule("space.spec.variables.MODE == 'space.spec.nope'"), rule("'X' in space.labels", name="s"))


def test_phase_follows_the_variables_used() -> None:
    result = compiled(
        rule(GPU_SLEEP, name="a"), rule("change.restarts < 2", name="b"), rule("observed == null", name="c")
    )
    assert [r.phase for r in result.rules] == [Phase.VALIDATE, Phase.PLAN, Phase.PLAN]


def test_space_rule_on_gpu_without_sleep_time() -> None:
    rules = [compiled(rule(GPU_SLEEP))]
    assert evaluate(rules, space(hardware="t4-small", sleep_time=3600), SHARED) == []
    assert evaluate(rules, space(hardware="cpu-basic"), SHARED) == []
    [finding] = evaluate(rules, space(hardware="t4-small"), SHARED)
    assert (finding.outcome, finding.blocks, finding.qualified) == (Outcome.VIOLATED, True, "org/r")


def test_warning_severity_never_blocks() -> None:
    [finding] = evaluate([compiled(rule("false", severity="warning"))], space(), SHARED)
    assert finding.outcome is Outcome.VIOLATED and not finding.blocks


def test_match_narrows_by_namespace_label_and_sdk() -> None:
    match = {"namespaces": ["ACME"], "labels": {"team": "vision"}, "sdk": ["gradio"]}
    rules = [compiled(rule("false"), match=match)]
    assert evaluate(rules, space(labels={"team": "vision"}), SHARED)
    assert not evaluate(rules, space(labels={"team": "audio"}), SHARED)
    assert not evaluate(rules, space(id="other/demo", labels={"team": "vision"}), SHARED)
    assert not evaluate(rules, space(sdk="docker", labels={"team": "vision"}), SHARED)


def test_observed_is_null_for_a_new_space_and_the_live_state_otherwise() -> None:
    rules = [compiled(rule("observed == null || observed.hardware == space.spec.hardware"))]
    live = ObservedSpace(
        id="acme/demo", sha="a" * 40, sdk="gradio", visibility="public", stage="RUNNING", hardware="t4-small"
    )
    assert evaluate(rules, space(), SHARED, observed=None) == []
    assert evaluate(rules, space(hardware="cpu-basic"), SHARED, observed=live)


def test_change_and_plan_cost_with_a_context_label() -> None:
    entry = PlanEntry(
        id="acme/demo",
        action=Action.UPDATE,
        rung=Rung.SETTINGS,
        restarts=1,
        changes=(Change(path="spec.hardware", before="cpu-basic", after="a10g-large"),),
        cost=Cost(before_usd_per_hour=0.0, after_usd_per_hour=1.5),
    )
    plan = Plan(created_at="2026-12-01T00:00:00Z", hub="local", spaces=(entry,), monthly_cost_delta_usd=1095.0)
    budget = compiled(rule("plan.cost.monthlyDeltaUsd <= 300.0 || 'cost-approved' in context.labels"))
    per_space = compiled(rule("change.cost.monthlyDeltaUsd <= 300.0 && change.rung != 'rebuild'"))
    shared = Inputs(plan=plan_input(plan), context={"labels": [], "branch": "", "actor": "", "event": ""}, today=TODAY)
    approved = Inputs(plan=shared.plan, context={**shared.context, "labels": ["cost-approved"]}, today=TODAY)
    assert [r.phase for r in budget.rules] == [Phase.FLEET]
    assert evaluate([budget], space(), shared, entry=entry) == []  # plan-wide: not judged per Space
    [over] = evaluate_fleet([budget], plan, {"acme/demo": space()}, shared)
    assert over.blocks and over.qualified == "org/r"
    assert not evaluate_fleet([budget], plan, {"acme/demo": space()}, approved)
    [finding] = evaluate([per_space], space(), shared, entry=entry)
    assert finding.outcome is Outcome.VIOLATED


def test_context_reads_pull_request_labels(tmp_path: Any) -> None:
    event = tmp_path / "event.json"
    event.write_text('{"pull_request": {"labels": [{"name": "cost-approved"}, {"name": "a"}]}}')
    context = context_input({"GITHUB_EVENT_PATH": str(event), "GITHUB_HEAD_REF": "feat", "GITHUB_ACTOR": "alice"})
    assert context == {"labels": ["a", "cost-approved"], "branch": "feat", "actor": "alice", "event": ""}


def test_a_rule_that_fails_on_real_data_is_a_violation_with_the_error_never_a_crash() -> None:
    rules = [compiled(rule("space.spec.variables.MODE == 'x'"))]
    [finding] = evaluate(rules, space(), SHARED)
    assert finding.outcome is Outcome.ERRORED and finding.blocks
    assert "MODE" in (finding.error or "")


def test_secret_values_never_reach_rules_only_sources() -> None:
    rules = [compiled(rule("space.spec.secrets.K.source == 'env' && space.spec.secrets.K.env != 'HF_TOKEN'"))]
    assert evaluate(rules, space(secrets={"K": SecretRef(from_env="HF_TOKEN")}), SHARED)
    assert not evaluate(rules, space(secrets={"K": SecretRef(from_env="APP_KEY")}), SHARED)


def test_exemption_until_a_date_is_honoured_then_expires() -> None:
    rules = [compiled(rule("false", name="sleep-on-gpu"))]
    exempt = space(labels={EXEMPT_LABEL: "sleep-on-gpu until 2026-12-31"})
    [finding] = evaluate(rules, exempt, SHARED)
    assert (finding.outcome, finding.exempt_until, finding.blocks) == (Outcome.EXEMPTED, "2026-12-31", False)
    later = Inputs(plan=SHARED.plan, context=SHARED.context, today=dt.date(2027, 1, 1))
    [expired] = evaluate(rules, exempt, later)
    assert expired.outcome is Outcome.VIOLATED and expired.blocks
    qualified = space(labels={EXEMPT_LABEL: "other until 2027-01-01, org/sleep-on-gpu until 2027-01-01"})
    assert evaluate(rules, qualified, SHARED)[0].outcome is Outcome.EXEMPTED


@pytest.mark.parametrize("value", ["sleep-on-gpu", "sleep-on-gpu until tomorrow", "x until 2026-13-01"])
def test_malformed_exemption_labels_are_reported(value: str) -> None:
    assert exemption_problem(value)


def test_phases_filter() -> None:
    rules = [compiled(rule("false", name="a"), rule("change.restarts > 5", name="b"))]
    assert [f.rule for f in evaluate(rules, space(), SHARED, phases=frozenset({Phase.VALIDATE}))] == ["a"]
    assert [f.rule for f in evaluate(rules, space(), SHARED)] == ["a", "b"]


def test_comprehension_names_are_not_variables() -> None:
    rules = [compiled(rule("space.spec.secrets.all(name, !space.spec.secrets[name].preview)"))]
    assert evaluate(rules, space(secrets={"K": SecretRef(from_env="K", preview=True)}), SHARED)
    assert not evaluate(rules, space(secrets={"K": SecretRef(from_env="K")}), SHARED)
    result, problems = compile_policy(policy(rule("space.spec.volumes.exists(v, w.readOnly)")), locate)
    assert result is None and "unknown variable 'w'" in problems[0].message


def test_a_plan_wide_rule_of_a_matching_policy_sees_only_its_spaces() -> None:
    def entry(space_id: str, hourly: float) -> PlanEntry:
        return PlanEntry(id=space_id, action=Action.UPDATE, rung=Rung.SETTINGS, cost=Cost(after_usd_per_hour=hourly))

    plan = Plan(
        created_at="2026-12-01T00:00:00Z",
        hub="local",
        spaces=(entry("acme/a", 0.3), entry("other/b", 1.0)),
        monthly_cost_delta_usd=949.0,
    )
    desired = {"acme/a": space(id="acme/a"), "other/b": space(id="other/b")}
    acme = compiled(rule("plan.cost.monthlyDeltaUsd <= 300.0 && plan.spaces == 1"), match={"namespaces": ["acme"]})
    everyone = compiled(rule("plan.cost.monthlyDeltaUsd <= 300.0"))
    assert evaluate_fleet([acme], plan, desired, SHARED) == []  # 0.3 x 730 = 219 over one Space
    assert len(evaluate_fleet([everyone], plan, desired, SHARED)) == 1
