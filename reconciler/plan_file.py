"""A plan file read back into the model: the reviewed plan `apply --plan` executes.

reconciler/render/plan_json.py writes the file; this reads it, refusing anything that is not
a version-1 plan. `reasons` in the file are their wording, `reason_codes` the reasons.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import ValidationError

from reconciler.errors import UserError
from reconciler.model import Plan

FORMAT_VERSION = 1
_MAX_ERRORS_SHOWN = 5


def plan_from_json(text: str | bytes, source: str = "plan") -> Plan:
    """Read a plan written by plan_to_json. `source` names the file in error messages.

    Raises UserError for anything that is not a version-1 plan: bad JSON, another
    format_version, missing or unknown keys, wrong types or vocabulary.
    """
    try:
        data = json.loads(text)
    except (json.JSONDecodeError, UnicodeDecodeError) as problem:
        raise UserError(f"{source} is not valid JSON: {problem}") from None
    if not isinstance(data, dict):
        raise UserError(f"{source} is not a plan: expected a JSON object, found {type(data).__name__}")
    if "format_version" not in data:
        raise UserError(f"{source} is not a plan: it has no format_version")
    version = data["format_version"]
    if version != FORMAT_VERSION or isinstance(version, bool):
        raise UserError(
            f"{source} has plan format_version {version!r}; this version of reconcile reads "
            f"format_version {FORMAT_VERSION}. Make the plan again with this version."
        )
    try:
        return Plan.model_validate_json(json.dumps(_typed_reasons(data)), strict=True)
    except ValidationError as problem:
        raise UserError(f"{source} is not a valid plan: {_describe(problem)}") from None


def _typed_reasons(data: dict[str, Any]) -> dict[str, Any]:
    """`reasons` is their wording, `reason_codes` the reasons themselves; a plan written before
    reason codes existed keeps each reason as text."""
    spaces = data.get("spaces")
    if not isinstance(spaces, list):
        return data
    entries = []
    for entry in spaces:
        if isinstance(entry, dict) and "reasons" in entry:
            entry = dict(entry)
            words = entry.pop("reasons")
            if "reason_codes" in entry:
                entry["reasons"] = entry.pop("reason_codes")
            elif isinstance(words, list):
                entry["reasons"] = [{"code": "text", "detail": w} if isinstance(w, str) else w for w in words]
            else:
                entry["reasons"] = words
        entries.append(entry)
    return {**data, "spaces": entries}


def _describe(problem: ValidationError) -> str:
    errors = problem.errors(include_url=False, include_input=False)
    parts = [f"{_location(error['loc'])}: {error['msg']}" for error in errors[:_MAX_ERRORS_SHOWN]]
    if len(errors) > _MAX_ERRORS_SHOWN:
        parts.append(f"and {len(errors) - _MAX_ERRORS_SHOWN} more")
    return "; ".join(parts)


def _location(loc: tuple[int | str, ...]) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(top level)"
