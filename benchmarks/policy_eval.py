"""P10: policy evaluation, the five example rules over a fleet of desired Spaces.

Ours: compiled once, evaluated per Space (common-expression-language, Rust). Baseline: the
pure-Python `cel-python` evaluating the same five expressions on the same inputs, timed on a
sample and scaled (it is linear; a full run would take minutes). Returns seconds for the fleet.
"""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path
from typing import Any

from reconciler.errors import Location
from reconciler.manifests import load_manifests
from reconciler.model import DesiredSpace, SecretRef
from reconciler.policy import Inputs, evaluate
from reconciler.policy.inputs import change_input, context_input, observed_input, plan_input, space_input

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "policies"
HARDWARE = ("cpu-basic", "t4-small", "a10g-large", "cpu-upgrade")


def fleet(n: int) -> list[DesiredSpace]:
    namespaces = ("acme", "acme-internal", "acme-prod", "other")
    return [
        DesiredSpace(
            id=f"{namespaces[i % 4]}/app-{i}",
            source_ref=Location(file="m.yaml", line=1, col=1),
            sdk="gradio",
            hardware=HARDWARE[i % len(HARDWARE)],
            sleep_time=(3600 if i % 3 else None),
            visibility=("private" if i % 5 == 0 else "public"),
            variables={"MODE": "prod", "REGION": "eu"},
            secrets={"API_KEY": SecretRef(from_env="API_KEY", preview=i % 7 == 0)},
            labels={"team": "vision"},
        )
        for i in range(n)
    ]


def ours(spaces: list[DesiredSpace]) -> tuple[float, int]:
    policies = load_manifests([EXAMPLES]).policies
    shared = Inputs(plan=plan_input(None), context=context_input({}), today=dt.date.today())
    started = time.perf_counter()
    findings = sum(len(evaluate(policies, space, shared)) for space in spaces)
    return time.perf_counter() - started, findings


def baseline(spaces: list[DesiredSpace], sample: int) -> float | None:
    try:
        import celpy  # type: ignore[import-not-found]
    except ImportError:
        return None
    env = celpy.Environment()
    expressions = [rule.expression for policy in load_manifests([EXAMPLES]).policies for rule in policy.rules]
    programs = [env.program(env.compile(text)) for text in expressions]
    context: dict[str, Any] = {"labels": [], "branch": "", "actor": "", "event": ""}
    chosen = spaces[:sample]
    started = time.perf_counter()
    for space in chosen:
        activation = celpy.json_to_cel(
            {
                "space": space_input(space),
                "observed": observed_input(None),
                "change": change_input(None),
                "plan": plan_input(None),
                "context": context,
            }
        )
        for program in programs:
            try:
                program.evaluate(activation)
            except Exception:  # the baseline's errors count as evaluations, like ours
                continue
    return (time.perf_counter() - started) * len(spaces) / len(chosen)
