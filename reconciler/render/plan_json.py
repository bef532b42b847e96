"""The plan as JSON (DESIGN.md "Plan format"); reconciler/plan_file.py reads it back.

Keys and their order are fixed: scripts depend on them and golden files must not flake.
`plan_from_json(plan_to_json(plan)) == plan` for every plan whose summary lists every rung
(the planner always writes them all).
"""

from __future__ import annotations

import json
from typing import Any

from reconciler.model import Change, FileChanges, FileEntry, Plan, PlanEntry
from reconciler.render._common import masked, rung_counts
from reconciler.render.words import reasons_text


def plan_to_json(plan: Plan) -> str:
    document = {
        "format_version": plan.format_version,
        "created_at": plan.created_at,
        "hub": plan.hub,
        "spaces": [_entry(entry) for entry in sorted(plan.spaces, key=lambda e: e.id)],
        "summary": rung_counts(plan),
        "monthly_cost_delta_usd": plan.monthly_cost_delta_usd,
        "notes": list(plan.notes),
    }
    if plan.policy:
        document["policy"] = [finding.model_dump(mode="json") for finding in plan.policy]
    if plan.orphans:  # additive, like policy: present only when there are some
        document["orphans"] = [orphan.model_dump(mode="json") for orphan in plan.orphans]
    return json.dumps(document, indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def _entry(entry: PlanEntry) -> dict[str, Any]:
    data = {
        "id": entry.id,
        "action": entry.action.value,
        "rung": entry.rung.value,
        "reasons": reasons_text(entry.reasons, entry.files),
        "reason_codes": [reason.model_dump(mode="json", exclude_defaults=True) for reason in entry.reasons],
        "restarts": entry.restarts,
        "changes": [change_json(change) for change in entry.changes],
        "files": files_json(entry.files),
        "cost": {
            "before_usd_per_hour": entry.cost.before_usd_per_hour,
            "after_usd_per_hour": entry.cost.after_usd_per_hour,
        },
        "observed": {"sha": entry.observed.sha, "settings_digest": entry.observed.settings_digest},
        "manifest": entry.manifest,
        "warnings": list(entry.warnings),
        "steps": [step.model_dump(mode="json") for step in entry.steps],
    }
    if entry.policy:
        # Additive (format_version stays 1): present only when a policy rule has something to say.
        data["policy"] = [finding.model_dump(mode="json") for finding in entry.policy]
    if entry.caveats:
        # Written only when there are some, so plans without any keep their exact shape.
        data["caveats"] = [caveat.value for caveat in entry.caveats]
    return data


def change_json(change: Change) -> dict[str, Any]:
    change = masked(change)
    data = {"path": change.path, "before": change.before, "after": change.after}
    if change.note is not None:
        data["note"] = change.note
    if change.secret is not None:
        data["secret"] = change.secret.value
    if change.planned_fingerprint is not None:
        # Keyed, so it tells nothing of the value without RECONCILE_FINGERPRINT_KEY; apply --plan
        # compares it with the value's fingerprint then, and refuses a value changed since.
        data["planned_fingerprint"] = change.planned_fingerprint
    return data


def files_json(files: FileChanges) -> dict[str, list[Any]]:
    data: dict[str, list[Any]] = {
        "added": [_file(f) for f in files.added],
        "modified": [_file(f) for f in files.modified],
        "deleted": [_file(f) for f in files.deleted],
    }
    if files.starter:  # additive, like caveats: only a creation that removes the Hub's starter files
        data["starter"] = list(files.starter)
    return data


def _file(entry: FileEntry) -> dict[str, Any]:
    data: dict[str, Any] = {"path": entry.path, "size": entry.size}
    if entry.oid is not None:
        data["oid"] = entry.oid
    return data
