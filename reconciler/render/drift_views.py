"""Views of a drift report: terminal text, JSON (DESIGN.md "Fleet drift report"), markdown for a
GitHub issue body (drift_markdown), and one self-contained HTML page (drift_html).

Renderers only read the DriftReport: they never call the Hub and never recompute a difference.
In a drift report a change's `before` is what git says and `after` is what the Hub has now.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import click

from reconciler.drift import DriftEntry, DriftReport, DriftStatus
from reconciler.model import Change
from reconciler.render._common import change_kind, format_size, format_value, masked, visible
from reconciler.render._drift_common import (
    by_id,
    by_severity,
    commit_text,
    detail_message,
    drift_counts,
    endpoints_text,
    file_groups,
    reason,
    stage_text,
    title,
    volume_text,
)
from reconciler.render.drift_html import render_drift_html
from reconciler.render.drift_markdown import render_drift_markdown
from reconciler.render.plan_json import change_json as plan_change
from reconciler.render.plan_json import files_json as plan_files
from reconciler.render.policy_text import policy_lines, sorted_findings
from reconciler.render.words import orphans_text

FORMATS = ("text", "json", "markdown", "html")
_TEXT_COLOR = {
    DriftStatus.IN_SYNC: "green",
    DriftStatus.DRIFTED: "yellow",
    DriftStatus.MISSING: "magenta",
    DriftStatus.UNMANAGED: "cyan",
    DriftStatus.FAILED: "red",
}


def render_drift(report: DriftReport, fmt: str, color: bool) -> str:
    """The report in `fmt` (text | json | markdown | html). ANSI colour only for text with color=True."""
    if fmt == "text":
        return render_drift_text(report, color)
    if fmt == "json":
        return drift_to_json(report)
    if fmt == "markdown":
        return render_drift_markdown(report)
    if fmt == "html":
        return render_drift_html(report)
    raise ValueError(f"unknown drift report format {fmt!r}; expected one of {', '.join(FORMATS)}")


# ---------------------------------------------------------------- JSON


def drift_to_json(report: DriftReport) -> str:
    """The contract: format_version, spaces (sorted by id), summary; keys in a fixed order.

    created_at and hub come after the contract's keys: when and where the fleet was checked.
    """
    document = {
        "format_version": report.format_version,
        "created_at": report.created_at,
        "hub": report.hub,
        "spaces": [_entry_json(entry) for entry in by_id(report)],
        "summary": drift_counts(report),
    }
    if report.policy:  # additive: present only when a rule has something to say
        document["policy"] = [{"id": i, **f.model_dump(mode="json")} for i, f in sorted_findings(report.policy)]
    if report.orphans:  # additive: managed Spaces with no manifest, what --prune would delete
        document["orphans"] = [orphan.model_dump(mode="json") for orphan in report.orphans]
    return json.dumps(document, indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def _entry_json(entry: DriftEntry) -> dict[str, Any]:
    detail = entry.detail
    return {
        "id": entry.id,
        "status": entry.status.value,
        "stage": stage_text(entry) or None,
        "changes": [plan_change(change) for change in entry.changes],  # the plan's shape, secrets masked
        "detail": {
            "message": detail_message(detail),
            "files": plan_files(detail.files),
            "commits_since_reconciler": [
                {"id": c.id, "author": c.author, "title": c.title, "date": c.date}
                for c in detail.commits_since_reconciler
            ],
            "variables_updated_outside": list(detail.variables_updated_outside),
            "variables_deleted_outside": list(detail.variables_deleted_outside),
            "secrets_changed_outside": list(detail.secrets_changed_outside),
            "hardware_requested": detail.hardware_requested,
            "hardware_current": detail.hardware_current,
            "hand_mounted_volumes": [v.model_dump() for v in detail.hand_mounted_volumes],
            "endpoints_missing": list(detail.endpoints_missing),
            "endpoints_available": list(detail.endpoints_available),
            "managed_marker": detail.managed_marker,
            "manifest": detail.manifest,
        },
    }


# ---------------------------------------------------------------- text


def render_drift_text(report: DriftReport, color: bool) -> str:
    def paint(text: str, status: DriftStatus | None = None, bold: bool = False) -> str:
        if not color:
            return text
        return click.style(text, fg=_TEXT_COLOR[status] if status else None, bold=bold)

    counts = drift_counts(report)
    head = paint(f"{title(report)}.", bold=True) + f" Checked {visible(report.created_at)} on {visible(report.hub)}."
    entries = by_id(report)
    rows = [(e.status.value, visible(e.id), visible(stage_text(e) or "-"), visible(reason(e))) for e in entries]
    header = ("STATUS", "SPACE", "STAGE")
    widths = [max([len(header[i]), *(len(row[i]) for row in rows)]) for i in range(3)]
    lines = [head]
    if rows:
        lines += ["", "  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)) + "  REASON"]
    for (status, space, stage, why), entry in zip(rows, entries, strict=True):
        cells = f"{paint(status.ljust(widths[0]), entry.status)}  {space.ljust(widths[1])}  {stage.ljust(widths[2])}"
        lines.append(f"{cells}  {why}".rstrip())
    for entry in by_severity(report):
        lines += ["", *_text_details(entry, paint)]
    if policy := policy_lines(sorted_findings(report.policy)):
        lines += ["", *(visible(line) for line in policy)]
    if not entries:
        lines += ["", "No Spaces in the manifests or the watched namespaces."]
    elif report.orphans:  # not "No drift": git no longer describes these Spaces
        lines += ["", paint(visible(orphans_text(report.orphans)), bold=True)]
    elif not report.has_drift and counts["in_sync"]:
        lines += ["", paint("No drift. The Hub matches the manifests.", bold=True)]
    return "\n".join(lines) + "\n"


def _text_details(entry: DriftEntry, paint: Callable[..., str]) -> list[str]:
    detail = entry.detail
    stage = f", {visible(stage_text(entry))}" if entry.stage else ""
    lines = [f"{paint(visible(entry.id), bold=True)} ({paint(entry.status.value, entry.status)}{stage})"]
    if message := detail_message(detail):
        lines.append(f"    # {visible(message)}")
    for change in entry.changes:
        lines.append(f"    {_text_change(change)}")
    for symbol, words, files in file_groups(detail):
        lines.append(f"    files {words}:")
        lines += [f"      {symbol} {visible(f.path)}  ({format_size(f.size)})" for f in files]
    if detail.commits_since_reconciler:
        lines.append("    commits since the reconciler's last commit:")
        lines += [f"      {visible(commit_text(c))}" for c in detail.commits_since_reconciler]
    if detail.variables_updated_outside:
        lines.append(f"    variables changed outside git: {visible(', '.join(detail.variables_updated_outside))}")
    if detail.variables_deleted_outside:
        lines.append(f"    variables deleted outside git: {visible(', '.join(detail.variables_deleted_outside))}")
    if detail.secrets_changed_outside:
        lines.append(f"    secrets changed outside git: {visible(', '.join(detail.secrets_changed_outside))}")
    if detail.hardware_requested or detail.hardware_current:
        lines.append(
            f"    hardware: requested {visible(detail.hardware_requested or '-')}, "
            f"current {visible(detail.hardware_current or '-')}"
        )
    if detail.hand_mounted_volumes:
        lines.append("    volumes mounted by hand:")
        lines += [f"      {visible(volume_text(v))}" for v in detail.hand_mounted_volumes]
    if detail.endpoints_missing:
        lines.append(f"    endpoints (spec.verify): {visible(endpoints_text(detail))}")
    if detail.manifest:
        lines.append(f"    manifest: {visible(detail.manifest)}")
    return lines


def _text_change(change: Change) -> str:
    change = masked(change)
    git = "absent" if change.before is None else format_value(change.before)
    hub = "absent" if change.after is None else format_value(change.after)
    note = f"  # {visible(change.note)}" if change.note else ""
    return f"{change_kind(change)} {visible(change.path)}: git {git}, Hub {hub}{note}"
