"""One pull-request comment per (kind, path), found again by a hidden HTML marker and edited in
place on every push, so a pull request never collects one comment per run. Only a comment the
token's own identity wrote is edited: anyone can paste the marker into a comment of theirs."""

from __future__ import annotations

import re
from dataclasses import dataclass

from reconciler.ci.github import GitHub
from reconciler.model import Plan
from reconciler.render.plan_markdown import GITHUB_COMMENT_LIMIT, render_plan_markdown

# GitHub counts the limit in its own way (UTF-16 units for some characters): keep a margin.
COMMENT_BUDGET = GITHUB_COMMENT_LIMIT - 1000


def marker(kind: str, path: str) -> str:
    # The path is workflow input: it must not be able to close the HTML comment.
    safe = re.sub(r"[^A-Za-z0-9_./@+-]", "_", path).replace("--", "__")
    return f"<!-- spaces-reconciler:{kind}:{safe} -->"


@dataclass(frozen=True)
class Links:
    sha: str = ""
    commit_url: str = ""
    artifact_url: str = ""
    run_url: str = ""


def _header(mark: str, links: Links, notes: list[str]) -> str:
    parts = []
    if links.sha:
        parts.append(f"Planned for commit [`{links.sha[:12]}`]({links.commit_url})")
    if links.artifact_url:
        parts.append(f"[full plan (JSON artifact)]({links.artifact_url})")
    if links.run_url:
        parts.append(f"[workflow run]({links.run_url})")
    lines = [mark, " · ".join(parts)]
    lines += [f"> {note}" for note in notes]
    return "\n".join(line for line in lines if line) + "\n"


def plan_comment(plan: Plan, path: str, links: Links, notes: list[str], budget: int = COMMENT_BUDGET) -> str:
    """The markdown plan (summary table, a collapsible section per Space) under GitHub's limit."""
    header = _header(marker("plan", path), links, notes)
    return render_plan_markdown(plan, max_chars=budget, title=f"Spaces plan: {path}", extra_header=header)


def upsert(github: GitHub, number: int, mark: str, body: str) -> tuple[str, str]:
    """Create the comment, or edit the one carrying `mark`. Returns (created|updated|unchanged, url)."""
    for existing in github.comments(number):
        if mark in str(existing.get("body") or "") and github.wrote(existing):
            if existing.get("body") == body:
                return "unchanged", str(existing.get("html_url", ""))
            updated = github.update_comment(int(existing["id"]), body)
            return "updated", str(updated.get("html_url", ""))
    created = github.create_comment(number, body)
    return "created", str(created.get("html_url", ""))
