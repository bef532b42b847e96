"""Nightly drift as one GitHub issue per manifest path: opened when drift, failures or managed
Spaces without a manifest appear, edited on later nights while they last, closed (with a
comment) once the fleet is back in sync.

It reads the drift report's JSON form (the documented contract: spaces with id, status, stage,
changes, detail; summary counts), so it depends on no renderer's internals.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from reconciler.ci.comment import COMMENT_BUDGET, Links, marker
from reconciler.ci.github import GitHub
from reconciler.render._drift_common import BACK_TO_GIT, HAND_MOUNTED
from reconciler.render._markdown import html_text, md_code, md_text
from reconciler.render.plan_markdown import md_value

LABEL = "spaces-reconciler-drift"
ALARMING = ("drifted", "missing", "failed")  # hand-made unmanaged Spaces alone are reported, not alarming
ORDER = ("failed", "missing", "drifted", "unmanaged")
COLUMNS = ("in_sync", "drifted", "missing", "unmanaged", "failed")


def _hand_mounted(report: Mapping[str, Any]) -> bool:
    return any((space.get("detail") or {}).get("hand_mounted_volumes") for space in report.get("spaces", []))


def has_drift(report: Mapping[str, Any]) -> bool:
    """Drift, failures, or managed Spaces with no manifest (`orphans`): what makes
    `drift --detailed-exitcode` exit 2."""
    summary = report.get("summary") or {}
    return any(int(summary.get(status, 0)) for status in ALARMING) or bool(report.get("orphans"))


def _orphans(report: Mapping[str, Any]) -> list[str]:
    orphans: Sequence[Mapping[str, Any]] = report.get("orphans") or ()
    if not orphans:
        return []
    listed = ", ".join(md_code(o["id"]) + (" (preventDestroy)" if o.get("prevent_destroy") else "") for o in orphans)
    return [
        f"Managed Spaces with no manifest: {listed}. Restore their manifests (`reconcile import`), or delete them "
        "with `reconcile apply --prune` (refused while one carries preventDestroy).",
        "",
    ]


def title(report: Mapping[str, Any], path: str) -> str:
    summary = report.get("summary") or {}
    counts = [f"{summary[s]} {s}" for s in ORDER if int(summary.get(s, 0))]
    return f"Spaces drift in {path}: {', '.join(counts) or 'in sync'}"


def _space(entry: Mapping[str, Any]) -> list[str]:
    detail = entry.get("detail")
    message = str(detail.get("message") or "") if isinstance(detail, Mapping) else str(detail or "")
    head = f"<summary><code>{html_text(entry['id'])}</code> {html_text(entry['status'])}"
    if entry.get("stage"):
        head += f" · {html_text(entry['stage'])}"
    lines = ["<details>", head + "</summary>", ""]
    if message:
        lines += [md_text(message), ""]
    changes: Sequence[Mapping[str, Any]] = entry.get("changes") or ()
    if changes:
        lines += ["| Field | In git | On the Hub | Note |", "|---|---|---|---|"]
        lines += [
            f"| {md_code(c['path'])} | {md_value(c.get('before'))} | {md_value(c.get('after'))} "
            f"| {md_text(c.get('note') or '')} |"
            for c in changes
        ]
        lines.append("")
    return [*lines, "</details>", ""]


def body(report: Mapping[str, Any], path: str, links: Links, budget: int = COMMENT_BUDGET) -> str:
    summary = report.get("summary") or {}
    info = [f"Checked {md_text(report.get('created_at', ''))}"]
    if links.run_url:
        info.append(f"[workflow run]({links.run_url})")
    if links.artifact_url:
        info.append(f"[full report (JSON artifact)]({links.artifact_url})")
    head = [
        marker("drift", path),
        f"## {md_text(title(report, path))}",
        "",
        " · ".join(info),
        "",
        "| in sync | drifted | missing | unmanaged | failed |",
        "|--:|--:|--:|--:|--:|",
        "| " + " | ".join(str(summary.get(s, 0)) for s in COLUMNS) + " |",
        "",
        BACK_TO_GIT + (f" {HAND_MOUNTED}" if _hand_mounted(report) else ""),
        "This issue is updated every night and closed when the fleet is back in sync.",
        "",
        *_orphans(report),
    ]
    text = "\n".join(head)
    entries = sorted(
        (e for e in report.get("spaces") or () if e.get("status") in ORDER),
        key=lambda e: (ORDER.index(e["status"]), e["id"]),
    )
    left = 0
    for index, entry in enumerate(entries):
        section = "\n".join(_space(entry))
        if len(text) + len(section) > budget - 200:
            left = len(entries) - index
            break
        text += section
    if left:
        text += f"\n_{left} more Space(s) left out to fit GitHub's limit; see the full report._\n"
    return text


def sync(github: GitHub, report: Mapping[str, Any], path: str, links: Links) -> tuple[str, str]:
    """Returns (opened|updated|closed|none, issue url)."""
    mark = marker("drift", path)
    # Ours only: a stranger's issue with the marker (and the label, set by a triager) is left alone.
    existing = next(
        (i for i in github.open_issues(LABEL) if mark in str(i.get("body") or "") and github.wrote(i)), None
    )
    if has_drift(report):
        text = body(report, path, links)
        if existing is not None:
            issue = github.update_issue(int(existing["number"]), title=title(report, path), body=text)
            return "updated", str(issue.get("html_url", ""))
        issue = github.create_issue(title(report, path), text, [LABEL])
        return "opened", str(issue.get("html_url", ""))
    if existing is None:
        return "none", ""
    note = f"The fleet in {md_code(path)} is back in sync ({md_text(report.get('created_at', ''))})."
    if links.run_url:
        note += f" [workflow run]({links.run_url})"
    github.create_comment(int(existing["number"]), note)
    issue = github.update_issue(int(existing["number"]), state="closed", state_reason="completed")
    return "closed", str(issue.get("html_url", ""))
