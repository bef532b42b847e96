"""Markdown for the job summary and comments: apply results and preview links.
Reads the commands' JSON output (their documented contracts), never the Hub."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from reconciler.render._markdown import html_text, md_code, md_fence, md_link, md_text
from reconciler.render.apply_words import ROLLBACK_REASONS
from reconciler.results import Outcome, RollbackReason
from reconciler.verify.outcomes import Status

_ICON = {
    "applied": "✅",
    "unchanged": "➖",
    "failed": "❌",
    "verify-failed": "❌",
    "rolled-back": "↩️",
    "skipped": "⏭️",
    "refused": "⛔",
    "deleted": "🗑️",
}
LOG_LINES = 20
FAILED_STATUSES = {Status.FAILED.value, Status.ERROR.value}  # of verification checks


def outcome_of(result: Mapping[str, Any]) -> Outcome | None:
    """The result's outcome as apply's own vocabulary (None for a value this version does not know)."""
    value = result.get("outcome")
    return Outcome(value) if value in {o.value for o in Outcome} else None


def _headline(result: Mapping[str, Any], outcome: Outcome) -> str:
    if outcome is Outcome.ROLLED_BACK:
        value = result.get("rollback_reason")
        reason = RollbackReason(value) if value in {r.value for r in RollbackReason} else None
        return f"rolled back: {ROLLBACK_REASONS[reason]}" if reason else "rolled back"
    return "failed verification" if outcome is Outcome.VERIFY_FAILED else "failed"


def apply_results(document: Mapping[str, Any], path: str) -> str:
    results = document.get("results") or []
    summary = document.get("summary") or {}
    counts = ", ".join(f"{n} {outcome}" for outcome, n in summary.items())
    lines = [f"## Spaces apply: {md_text(path)}", "", f"**{counts or 'nothing to do'}**", ""]
    if results:
        lines += ["| | Space | Rung | Outcome | Commit | Stage |", "|:-:|---|---|---|---|---|"]
        for r in results:
            commit = md_code(str(r.get("commit") or "")[:12]) if r.get("commit") else ""
            lines.append(
                f"| {_ICON.get(r['outcome'], '')} | {md_code(r['id'])} | {md_text(r['rung'])} "
                f"| {md_text(r['outcome'])} | {commit} | {md_text(r.get('stage') or '')} |"
            )
    for r in results:
        outcome = outcome_of(r)
        if outcome is None or not outcome.failing:
            continue
        icon, headline = _ICON[outcome.value], _headline(r, outcome)
        lines += ["", f"<details open><summary>{icon} <code>{html_text(r['id'])}</code> {headline}</summary>", ""]
        lines += [md_text(r.get("message") or ""), ""]
        tail = list(r.get("log_tail") or [])[-LOG_LINES:]
        if tail:
            lines += [*md_fence(tail), ""]
        for check in r.get("verification") or []:
            if check.get("status") not in FAILED_STATUSES:
                continue
            target = f" {md_code(str(check.get('target')))}" if check.get("target") else ""
            lines += [f"- **{md_text(str(check.get('check')))}**{target}: {md_text(str(check.get('text') or ''))}"]
            evidence = list((check.get("evidence") or {}).get("lines") or [])[-LOG_LINES:]
            if evidence:
                lines += ["", *md_fence(evidence), ""]
        if r.get("verification"):
            lines.append("")
        lines.append("</details>")
    return "\n".join(lines) + "\n"


def previews(document: Mapping[str, Any], path: str, mark: str, sha: str, down: bool) -> str:
    pr = document.get("pr")
    items = document.get("previews") or []
    lines = [mark, f"## Spaces previews for #{pr}: {md_text(path)}", ""]
    if down:
        lines.append("The pull request is closed: its previews were deleted.")
    elif not items:
        lines.append("This pull request changes no Space, so there is no preview.")
    else:
        lines.append(
            "Private copies of the Spaces this pull request changes (only secrets marked `preview: true`)."
            + (f" Updated for commit `{md_text(sha[:12])}`." if sha else "")
        )
    if items:
        lines += ["", "| | Preview | Of | Outcome |", "|:-:|---|---|---|"]
        for p in items:
            link = md_link(p["id"], str(p["url"])) if p.get("url") else md_code(p["id"])
            outcome = md_text(p["outcome"])
            if p["outcome"] in ("failed", "refused"):
                outcome += f": {md_text(p['message'])}"
            source = md_code(p["source"]) if p.get("source") else ""
            lines.append(f"| {_ICON.get(p['outcome'], '')} | {link} | {source} | {outcome} |")
    return "\n".join(lines) + "\n"
