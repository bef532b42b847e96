"""Where the pipeline meets the policies: before any Hub call (validate) and on a finished plan."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence

from reconciler.model import DesiredSpace, ObservedSpace, Plan, PolicyFinding
from reconciler.policy import inputs
from reconciler.policy.engine import CompiledPolicy, Inputs, Phase, evaluate, evaluate_fleet


def shared_inputs(env: Mapping[str, str], plan: Plan | None = None, today: dt.date | None = None) -> Inputs:
    return Inputs(
        plan=inputs.plan_input(plan),
        context=inputs.context_input(env),
        today=today or dt.datetime.now(dt.timezone.utc).date(),
    )


def validate_findings(
    policies: Sequence[CompiledPolicy], spaces: Sequence[DesiredSpace], shared: Inputs
) -> list[tuple[DesiredSpace, PolicyFinding]]:
    """Rules over `space` alone, for every Space of the fleet."""
    return [
        (space, finding)
        for space in spaces
        for finding in evaluate(policies, space, shared, phases=frozenset({Phase.VALIDATE}))
    ]


def with_policy(
    plan: Plan,
    policies: Sequence[CompiledPolicy],
    desired: Mapping[str, DesiredSpace],
    observed: Mapping[str, ObservedSpace],
    shared: Inputs,
) -> Plan:
    """The plan with every entry's findings (all phases); deletions have no desired Space to judge."""
    if not policies:
        return plan
    shared = Inputs(plan=inputs.plan_input(plan), context=shared.context, today=shared.today)
    entries = []
    for entry in plan.spaces:
        space = desired.get(entry.id)
        findings = evaluate(policies, space, shared, observed=observed.get(entry.id), entry=entry) if space else []
        entries.append(entry.model_copy(update={"policy": tuple(findings)}) if findings else entry)
    fleet = evaluate_fleet(policies, plan, desired, shared)
    return plan.model_copy(update={"spaces": tuple(entries), "policy": tuple(fleet)})


def blocking(plan: Plan) -> list[tuple[str | None, PolicyFinding]]:
    """(Space id or None for a plan-wide rule, finding) of every error-severity rule that stops apply."""
    found: list[tuple[str | None, PolicyFinding]] = [(None, f) for f in plan.policy if f.blocks]
    return found + [(entry.id, f) for entry in plan.spaces for f in entry.policy if f.blocks]
