"""The CEL variables a rule sees, built from the pipeline's own values (camelCase, JSON-like).

`space` is the desired Space as written; `observed` what the Hub has (null when the Space does
not exist); `change` this Space's plan entry; `plan` the totals; `context` who asks and why
(pull-request labels, branch, actor; empty outside CI). Secret values never enter: a secret is
its source kind, the environment variable's name and its preview flag.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from reconciler.model import DesiredSpace, ObservedSpace, Plan, PlanEntry
from reconciler.planner import HOURS_PER_MONTH  # one rate for plan totals and rule inputs

VARIABLES = ("space", "observed", "change", "plan", "context")


def space_input(desired: DesiredSpace) -> dict[str, Any]:
    namespace, name = desired.id.split("/", 1)
    return {
        "id": desired.id,
        "namespace": namespace,
        "name": name,
        "labels": dict(desired.labels),
        "spec": {
            "sdk": desired.sdk,
            "sdkVersion": desired.sdk_version,
            "hardware": desired.hardware,
            # 0 when the manifest leaves it unset, so `sleepTime > 0` reads "sets a sleep time".
            "sleepTime": desired.sleep_time if desired.sleep_time is not None else 0,
            "visibility": desired.visibility,
            "devMode": desired.dev_mode,
            "paused": desired.paused,
            "variables": dict(desired.variables),
            "secrets": {
                key: {"source": "env" if ref.from_env else "file", "env": ref.from_env, "preview": ref.preview}
                for key, ref in desired.secrets.items()
            },
            "volumes": [v.manifest_view() for v in desired.volumes],
            "card": _plain(desired.card),
            "lifecycle": {
                "preventDestroy": desired.lifecycle.prevent_destroy,
                "ignoreChanges": list(desired.lifecycle.ignore_changes),
            },
        },
    }


def observed_input(observed: ObservedSpace | None) -> dict[str, Any] | None:
    if observed is None:
        return None
    return {
        "sha": observed.sha,
        "sdk": observed.sdk,
        "visibility": observed.visibility,
        "stage": observed.stage,
        "hardware": observed.hardware,
        "hardwareCurrent": observed.hardware_current,
        "sleepTime": observed.sleep_time if observed.sleep_time is not None else 0,
        "devMode": observed.dev_mode,
        "paused": observed.paused,
        "variables": {key: v.value for key, v in observed.variables.items()},
        "secrets": sorted(observed.secrets),
        "volumes": [v.manifest_view() for v in observed.volumes],
        "card": _plain(observed.card),
        "managed": observed.managed,
    }


def change_input(entry: PlanEntry | None) -> dict[str, Any]:
    if entry is None:
        return {
            "action": "noop",
            "rung": "none",
            "restarts": 0,
            "changes": [],
            "files": {"added": [], "modified": [], "deleted": []},
            "cost": {"beforeUsdPerHour": 0.0, "afterUsdPerHour": 0.0, "monthlyDeltaUsd": 0.0},
        }
    cost = entry.cost
    return {
        "action": entry.action.value,
        "rung": entry.rung.value,
        "restarts": entry.restarts,
        # Secret changes carry only the "(sensitive)" marker on both sides: no value reaches a rule.
        "changes": [{"path": c.path, "before": _plain(c.before), "after": _plain(c.after)} for c in entry.changes],
        "files": {
            "added": [f.path for f in entry.files.added],
            "modified": [f.path for f in entry.files.modified],
            "deleted": [f.path for f in entry.files.deleted],
        },
        "cost": {
            "beforeUsdPerHour": float(cost.before_usd_per_hour),
            "afterUsdPerHour": float(cost.after_usd_per_hour),
            "monthlyDeltaUsd": round(float(cost.after_usd_per_hour - cost.before_usd_per_hour) * HOURS_PER_MONTH, 2),
        },
    }


def plan_input(plan: Plan | None) -> dict[str, Any]:
    if plan is None:
        return {"spaces": 0, "restarts": 0, "summary": {}, "cost": {"monthlyDeltaUsd": 0.0}}
    return {
        "spaces": len(plan.spaces),
        "restarts": sum(entry.restarts for entry in plan.spaces),
        "summary": dict(plan.summary),
        "cost": {"monthlyDeltaUsd": float(plan.monthly_cost_delta_usd)},
    }


def context_input(env: Mapping[str, str]) -> dict[str, Any]:
    """Pull-request labels, branch and actor from GitHub Actions' environment; empty elsewhere."""
    labels: list[str] = []
    event_path = env.get("GITHUB_EVENT_PATH")
    if event_path:
        try:
            event = json.loads(Path(event_path).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            event = {}
        pull = event.get("pull_request") if isinstance(event, dict) else None
        if isinstance(pull, dict):
            labels = sorted(
                str(label["name"]) for label in pull.get("labels") or () if isinstance(label, dict) and "name" in label
            )
    return {
        "labels": labels,
        "branch": env.get("GITHUB_HEAD_REF") or env.get("GITHUB_REF_NAME") or "",
        "actor": env.get("GITHUB_ACTOR", ""),
        "event": env.get("GITHUB_EVENT_NAME", ""),
    }


def _plain(value: Any) -> Any:
    """JSON-like data only (tuples to lists, mappings to dicts): CEL sees lists and maps."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


# Maps whose keys are the user's own (variables, labels, card fields): any key is valid there.
DYNAMIC_PATHS = frozenset(
    {
        "space.labels",
        "space.spec.variables",
        "space.spec.secrets",
        "space.spec.card",
        "observed.variables",
        "observed.card",
        "plan.summary",
    }
)
