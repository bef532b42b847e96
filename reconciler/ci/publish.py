"""The `report` step: turn what `run` produced into the job summary, the pull-request comment
and the drift issue. What `run` left is masked (reconciler.ci.redact) as data, before it is
rendered; every writer masks the rendered text again."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from reconciler.ci import drift_issue, redact, views
from reconciler.ci.comment import Links, marker, plan_comment, upsert
from reconciler.ci.context import Context
from reconciler.ci.github import GitHub, GitHubError
from reconciler.ci.summary import add_summary, annotate
from reconciler.plan_file import plan_from_json
from reconciler.render._markdown import md_text

FORK_NOTE = (
    "Pull request from a fork: the job has no secrets, so secret values show as unknown here. "
    "The plan is computed again, with secrets, when the change is applied."
)


def _read(path: str | None) -> Any:
    """A JSON output of the command, with secret values masked before anything renders it."""
    return redact.data(json.loads(Path(path).read_text("utf-8"))) if path and Path(path).is_file() else None


def _failure(context: Context, mark: str, links: Links, notes: list[str]) -> str:
    what = f"`reconcile {context.command}` failed"
    where = f" for commit [`{links.sha[:12]}`]({links.commit_url})" if links.sha else ""
    run = f" See the [workflow run]({links.run_url}) log." if links.run_url else " See the job log."
    said = "".join(f"\n> {md_text(note)}\n" for note in notes)
    return f"{mark}\n## Spaces {context.command}: {md_text(context.scope)}\n\n❌ {what}{where}.{run}\n{said}"


def publish(context: Context, state: dict[str, Any], artifact_url: str) -> None:
    pr = context.pull_request
    sha = pr.head_sha if pr and pr.head_sha else context.sha
    links = Links(sha, context.commit_url(sha) if sha else "", artifact_url, context.run_url)
    github = GitHub(context.api_url, context.github_token, context.repository)
    notes = list(state.get("notes") or [])
    if pr is not None and pr.from_fork:
        notes.append(FORK_NOTE)
    command = context.command
    if command == "plan":
        mark = marker("plan", context.scope)
        document = _read(state.get("artifact"))
        if document is not None and state["exitcode"] in (0, 2):
            plan = plan_from_json(json.dumps(document), source=state["artifact"])
            text = plan_comment(plan, context.scope, links, notes)
        else:
            text = _failure(context, mark, links, notes)
        _summary_and_comment(context, github, mark, text)
    elif command == "apply":
        document = _read(state.get("result"))
        text = views.apply_results(document, context.scope) if document else _failure(context, "", links, notes)
        add_summary(context.summary_file, text)
        for result in (document or {}).get("results", []):
            outcome = views.outcome_of(result)
            if outcome is not None and outcome.failing:
                annotate("error", f"{result['id']}: {result['message']}")
    elif command == "drift":
        _drift(context, github, state, links, notes)
    else:
        mark = marker("preview", context.scope)
        document = _read(state.get("result"))
        if document is None:
            text = _failure(context, mark, links, notes)
        else:
            text = views.previews(document, context.scope, mark, sha, down=command == "preview-down")
        _summary_and_comment(context, github, mark, text)


def _summary_and_comment(context: Context, github: GitHub, mark: str, text: str) -> None:
    add_summary(context.summary_file, text)
    if not context.comment or context.pull_request is None:
        return
    try:
        outcome, url = upsert(github, context.pull_request.number, mark, text)
    except GitHubError as problem:
        # A fork's token is read-only: the plan stays in the job summary, the job does not fail.
        annotate("warning", f"could not comment on the pull request ({problem}); the result is in the job summary")
        return
    print(f"Pull request comment {outcome}: {url}", flush=True)


def _drift(context: Context, github: GitHub, state: dict[str, Any], links: Links, notes: list[str]) -> None:
    report = _read(state.get("artifact"))
    if report is None:
        add_summary(context.summary_file, _failure(context, "", links, notes))
        return
    add_summary(context.summary_file, drift_issue.body(report, context.scope, links))
    if not context.comment:
        return
    try:
        outcome, url = drift_issue.sync(github, report, context.scope, links)
    except GitHubError as problem:
        annotate("warning", f"could not update the drift issue ({problem}); the report is in the job summary")
        return
    print(f"Drift issue: {outcome} {url}", flush=True)
