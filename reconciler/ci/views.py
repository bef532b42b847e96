"""Markdown for the job summary and comments: apply results and preview links.
Reads the commands' JSON output (their documented contracts), never the Hub."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from reconciler.render._markdown import html_text, md_code, md_fence, md_link, md_text

_ICON = {"applied": "✅", "unchanged": "➖", "failed": "❌", "skipped": "⏭️", "refused": "⛔", "deleted": "🗑️"}
LOG_LINES = 20


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
        if r["outcome"] != "failed":
            continue
        lines += ["", f"<details open><summary>❌ <code>{html_text(r['id'])}</code> failed</summary>", ""]
        lines += [md_text(r.get("message") or ""), ""]
        tail = list(r.get("log_tail") or [])[-LOG_LINES:]
        if tail:
            lines += [*md_fence(tail), ""]
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
