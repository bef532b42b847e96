"""Compile policy rules once, at load time, and evaluate them per Space.

Evaluation uses `common-expression-language` (Rust cel-interpreter bindings): about 40 µs per
rule and Space here against about 2 ms for the pure-Python `cel-python`, which makes 10,000
Spaces x 5 rules 2 s instead of 2 minutes. Its compiler checks syntax only, so a rule is also
checked here before it can run: every variable must be one of `inputs.VARIABLES`, every dotted
field path must exist in the inputs' shape (did-you-mean otherwise), and the rule must evaluate
without a type error against a complete sample of each variable.
"""

from __future__ import annotations

import datetime as dt
import difflib
import enum
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from reconciler.errors import Diagnostic, Location, Severity
from reconciler.model import (
    Action,
    Change,
    Cost,
    DesiredSpace,
    Lifecycle,
    ObservedSpace,
    ObservedVariable,
    Plan,
    PlanEntry,
    PolicyFinding,
    PolicyOutcome,
    Rung,
    SecretRef,
    Volume,
)
from reconciler.planner import HOURS_PER_MONTH
from reconciler.policy import inputs

if TYPE_CHECKING:  # the manifests layer imports this module to compile the policies it loads
    from reconciler.manifests.schema_models import Policy


def _cel() -> Any:
    # Imported on first use: the binding's package loads its interactive shell (prompt_toolkit)
    # on import, about a second of every `reconcile` start, though most runs have no policies.
    import cel

    return cel


EXEMPT_LABEL = "policy.spaces-reconciler/exempt"
_EXEMPTION = re.compile(
    r"^\s*(?P<rule>[a-z0-9][a-z0-9-]*(?:/[a-z0-9][a-z0-9-]*)?)\s+until\s+(?P<date>\d{4}-\d{2}-\d{2})\s*$"
)
# Names bound by CEL's comprehension macros (`list.all(x, ...)`, `map.exists(k, v, ...)`) are not variables.
_BOUND = re.compile(r"\.(?:all|exists|exists_one|map|filter)\(\s*([A-Za-z_]\w*)\s*,(?:\s*([A-Za-z_]\w*)\s*,)?")
_STRING = re.compile(r"'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"")
_FIELD_PATH = re.compile(r"(?<![\w.])(space|observed|change|plan|context)((?:\.[A-Za-z_]\w*)+)(?!\w)(?P<call>\s*\()?")


class Phase(str, enum.Enum):
    """When a rule can run: `validate` needs only the desired Space; `plan` needs the Hub."""

    VALIDATE = "validate"
    PLAN = "plan"
    FLEET = "fleet"  # reads only `plan` and `context`: judged once per plan, over the Spaces the policy matches


@dataclass(frozen=True)
class CompiledRule:
    policy: str
    name: str
    expression: str
    message: str
    severity: Severity
    phase: Phase
    location: Location
    program: Any

    @property
    def qualified(self) -> str:
        return f"{self.policy}/{self.name}"


@dataclass(frozen=True)
class CompiledPolicy:
    name: str
    namespaces: frozenset[str]
    labels: Mapping[str, str]
    sdks: frozenset[str]
    rules: tuple[CompiledRule, ...]

    @property
    def matches_everything(self) -> bool:
        return not (self.namespaces or self.labels or self.sdks)

    def matches(self, space: DesiredSpace) -> bool:
        namespace = space.id.split("/", 1)[0].lower()
        return (
            (not self.namespaces or namespace in self.namespaces)
            and (not self.sdks or space.sdk in self.sdks)
            and all(space.labels.get(key) == value for key, value in self.labels.items())
        )


Locate = Callable[[tuple[str | int, ...]], Location]


def compile_policy(policy: Policy, locate: Locate) -> tuple[CompiledPolicy | None, list[Diagnostic]]:
    """The compiled policy, or None with FILE:LINE:COL diagnostics for each broken rule."""
    problems: list[Diagnostic] = []
    rules: list[CompiledRule] = []
    seen: set[str] = set()
    for index, rule in enumerate(policy.spec.rules):
        where = locate(("spec", "rules", index, "expression"))
        if rule.name in seen:
            problems.append(_error(f"rule {rule.name!r} is defined twice in policy {policy.metadata.name!r}", where))
            continue
        seen.add(rule.name)
        compiled, problem = _compile_rule(policy.metadata.name, rule.name, rule.expression, where)
        if problem:
            problems.append(_error(f"rule {rule.name!r}: {problem}", where))
            continue
        assert compiled is not None
        rules.append(
            CompiledRule(
                policy=policy.metadata.name,
                name=rule.name,
                expression=rule.expression,
                message=rule.message,
                severity=Severity(rule.severity),
                phase=compiled[1],
                location=where,
                program=compiled[0],
            )
        )
    if problems:
        return None, problems
    match = policy.spec.match
    return (
        CompiledPolicy(
            name=policy.metadata.name,
            namespaces=frozenset(n.lower() for n in match.namespaces),
            labels=dict(match.labels),
            sdks=frozenset(match.sdk),
            rules=tuple(rules),
        ),
        [],
    )


def _compile_rule(policy: str, name: str, expression: str, where: Location) -> tuple[tuple[Any, Phase] | None, str]:
    try:
        program = _cel().compile(expression)
    except ValueError as problem:
        return None, "syntax error: " + _parse_message(str(problem))
    bound = {name for found in _BOUND.finditer(_STRING.sub("''", expression)) for name in found.groups() if name}
    used = set(program.variables()) - bound
    if unknown := sorted(used - set(inputs.VARIABLES)):
        guess = did_you_mean(unknown[0], list(inputs.VARIABLES))
        hint = f"; did you mean {guess!r}?" if guess else ""
        return None, f"unknown variable {unknown[0]!r}{hint} (variables: {', '.join(inputs.VARIABLES)})"
    if unknown_field := _unknown_field(expression):
        return None, unknown_field
    try:
        result = program.execute(_samples())
    except TypeError as problem:
        return None, f"type error: {problem}"
    except RuntimeError as problem:
        # The binding raises RuntimeError for a call of a function the value's type does not have
        # (`sleepTime.startsWith(...)` on a number), which would otherwise fail on every Space.
        # Its message is the only thing that tells this from other run-time errors.
        if not str(problem).startswith(UNDEFINED_FUNCTION):
            result = True
        else:
            name = str(problem).split(".", 1)[0].removeprefix(UNDEFINED_FUNCTION).strip()
            return None, f"type error: no function {name} for the value it is called on"
    except Exception:  # a key absent from the sample's user maps (variables, labels) is not an error
        result = True
    if not isinstance(result, bool):
        return None, f"the expression must be true or false, not a {type(result).__name__}"
    if used <= {"space"}:
        return (program, Phase.VALIDATE), ""
    return (program, Phase.FLEET if used <= {"plan", "context"} else Phase.PLAN), ""


def _parse_message(text: str) -> str:
    # "Failed to parse expression '...': ERROR: <input>:1:12: Syntax error: ..." -> the part after <input>.
    detail = text.split("<input>:", 1)[-1].split("\n", 1)[0]
    line_col, _, message = detail.partition(": ")
    line, _, col = line_col.partition(":")
    return f"{message.strip()} (expression line {line}, column {col})" if col.isdigit() else detail.strip()


def _unknown_field(expression: str) -> str | None:
    code = _STRING.sub("''", expression)
    shapes = _samples()
    for found in _FIELD_PATH.finditer(code):
        parts = found.group(2).lstrip(".").split(".")
        if found.group("call"):
            parts = parts[:-1]  # the last name is a method: `hardware.startsWith(...)`
        node: Any = shapes[found.group(1)]
        path = found.group(1)
        for part in parts:
            if path in inputs.DYNAMIC_PATHS or not isinstance(node, dict):
                break
            if part not in node:
                guess = did_you_mean(part, list(node))
                hint = f"; did you mean {guess!r}?" if guess else f" (fields: {', '.join(sorted(node))})"
                return f"unknown field {part!r} in {path}{hint}"
            node, path = node[part], f"{path}.{part}"
    return None


UNDEFINED_FUNCTION = "Undefined variable or function:"  # common-expression-language's RuntimeError
_SAMPLE_CACHE: dict[str, Any] = {}


def _samples() -> dict[str, Any]:
    """One complete value of every variable: every field present, every type as at run time."""
    if not _SAMPLE_CACHE:
        volume = Volume(type="model", source="ns/model", mount_path="/data", revision="main", read_only=True, path="x")
        desired = DesiredSpace(
            id="ns/name",
            source_ref=Location(file="sample.yaml", line=1, col=1),
            labels={"team": "x"},
            sdk="gradio",
            sdk_version="6.1.0",
            sleep_time=300,
            variables={"MODE": "x"},
            secrets={"TOKEN": SecretRef(from_env="TOKEN")},
            volumes=(volume,),
            card={"title": "x"},
            lifecycle=Lifecycle(),
        )
        observed = ObservedSpace(
            id="ns/name",
            sha="0" * 40,
            sdk="gradio",
            visibility="public",
            stage="RUNNING",
            hardware="cpu-basic",
            variables={"MODE": ObservedVariable(value="x")},
            volumes=(volume,),
        )
        entry = PlanEntry(
            id="ns/name",
            action=Action.UPDATE,
            rung=Rung.SETTINGS,
            restarts=1,
            changes=(Change(path="spec.hardware", before="cpu-basic", after="t4-small"),),
            cost=Cost(before_usd_per_hour=0.0, after_usd_per_hour=0.4),
        )
        plan = Plan(created_at="2026-01-01T00:00:00Z", hub="local", spaces=(entry,), summary={"settings": 1})
        _SAMPLE_CACHE.update(
            space=inputs.space_input(desired),
            observed=inputs.observed_input(observed),
            change=inputs.change_input(entry),
            plan=inputs.plan_input(plan),
            context={"labels": ["x"], "branch": "main", "actor": "x", "event": "pull_request"},
        )
    return _SAMPLE_CACHE


def exemptions(space: DesiredSpace) -> dict[str, dt.date]:
    """Rule name (or policy/rule) -> the last day it is exempted, from the Space's exemption label."""
    found: dict[str, dt.date] = {}
    for part in (space.labels.get(EXEMPT_LABEL) or "").split(","):
        if matched := _EXEMPTION.match(part):
            found[matched.group("rule")] = dt.date.fromisoformat(matched.group("date"))
    return found


def exemption_problem(value: str) -> str | None:
    """Why an exemption label's value is malformed, for validate."""
    for part in value.split(","):
        matched = _EXEMPTION.match(part)
        if not matched:
            return f"{EXEMPT_LABEL}: expected 'RULE until YYYY-MM-DD[, ...]', got {part.strip()!r}"
        try:
            dt.date.fromisoformat(matched.group("date"))
        except ValueError:
            return f"{EXEMPT_LABEL}: {matched.group('date')!r} is not a date"
    return None


@dataclass(frozen=True)
class Inputs:
    """Everything but `space`, shared by the Spaces of one run."""

    plan: Mapping[str, Any]
    context: Mapping[str, Any]
    today: dt.date


def evaluate(
    policies: Iterable[CompiledPolicy],
    space: DesiredSpace,
    shared: Inputs,
    *,
    phases: frozenset[Phase] = frozenset({Phase.VALIDATE, Phase.PLAN}),
    observed: ObservedSpace | None = None,
    entry: PlanEntry | None = None,
) -> list[PolicyFinding]:
    """Every rule of `phases` that this Space breaks (passing rules are not reported)."""
    activation: Any = None
    granted = exemptions(space)
    findings: list[PolicyFinding] = []
    for policy in policies:
        if not policy.matches(space):
            continue
        for rule in policy.rules:
            if rule.phase not in phases:
                continue
            if activation is None:
                # One Context per Space: its variables are converted to CEL once, not once per rule.
                activation = _cel().Context(
                    variables={
                        "space": inputs.space_input(space),
                        "observed": inputs.observed_input(observed),
                        "change": inputs.change_input(entry),
                        "plan": dict(shared.plan),
                        "context": dict(shared.context),
                    }
                )
            outcome, error = _run(rule, activation)
            if outcome is None:
                continue
            until = granted.get(rule.qualified, granted.get(rule.name))
            exempt = until is not None and until >= shared.today
            if exempt and until is not None:
                findings.append(_finding(rule, PolicyOutcome.EXEMPTED, error, until))
            else:
                findings.append(_finding(rule, outcome, error))
    return findings


def evaluate_fleet(
    policies: Iterable[CompiledPolicy], plan: Plan, desired: Mapping[str, DesiredSpace], shared: Inputs
) -> list[PolicyFinding]:
    """Plan-wide rules, once per policy, over the plan entries of the Spaces that policy matches.

    Space labels cannot exempt a plan-wide rule; the context can (e.g. a pull-request label).
    """
    findings: list[PolicyFinding] = []
    for policy in policies:
        rules = [rule for rule in policy.rules if rule.phase is Phase.FLEET]
        if not rules:
            continue
        entries = tuple(e for e in plan.spaces if (d := desired.get(e.id)) is not None and policy.matches(d))
        scoped = plan if policy.matches_everything else plan.model_copy(update={"spaces": entries})
        if not policy.matches_everything:
            hourly = sum(e.cost.after_usd_per_hour - e.cost.before_usd_per_hour for e in entries)
            scoped = scoped.model_copy(update={"monthly_cost_delta_usd": round(hourly * HOURS_PER_MONTH, 2)})
        activation = _cel().Context(variables={"plan": inputs.plan_input(scoped), "context": dict(shared.context)})
        for rule in rules:
            outcome, error = _run(rule, activation)
            if outcome is not None:
                findings.append(_finding(rule, outcome, error))
    return findings


def _finding(
    rule: CompiledRule, outcome: PolicyOutcome, error: str | None, exempt_until: dt.date | None = None
) -> PolicyFinding:
    return PolicyFinding(
        policy=rule.policy,
        rule=rule.name,
        severity=rule.severity.value,
        outcome=outcome,
        message=rule.message,
        location=str(rule.location),
        error=error,
        exempt_until=exempt_until.isoformat() if exempt_until else None,
    )


def _run(rule: CompiledRule, activation: Any) -> tuple[PolicyOutcome | None, str | None]:
    try:
        result = rule.program.execute(activation)
    except Exception as problem:  # a rule that fails on real data is a violation, never a crash
        return PolicyOutcome.ERRORED, _describe(problem)
    if result is True:
        return None, None
    if result is False:
        return PolicyOutcome.VIOLATED, None
    return PolicyOutcome.ERRORED, f"the expression gave a {type(result).__name__}, not true or false"


def _describe(problem: Exception) -> str:
    if isinstance(problem, KeyError):
        return f"no such key {problem.args[0]!r}" if problem.args else "no such key"
    return f"{type(problem).__name__}: {problem}".split(". CEL does not coerce")[0]


def did_you_mean(word: str, choices: list[str]) -> str | None:
    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    return close[0] if close else None


def _error(message: str, where: Location) -> Diagnostic:
    return Diagnostic(Severity.ERROR, message, where)
