"""The action against hostile input: secret values that escaping would disguise, pull requests
from forks, and strangers' comments and issues that carry our hidden marker."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from huggingface_hub import HfApi

from reconciler.ci import drift_issue
from reconciler.ci.comment import Links, marker
from reconciler.ci.github import GitHub
from reconciler.localhub import LocalHub
from tests.ci.conftest import Actions
from tests.ci.fake_github import PAT_TOKEN, WRITE_TOKEN, FakeGitHub
from tests.conftest import FILE_CANARY, SPECIAL_CANARY, holds_canary, secret_file

PLAN_MARK = marker("plan", "manifests")
DRIFT_MARK = marker("drift", "manifests")


def add_special_secrets(fleet: Path) -> None:
    """gradio-hello also gets a secret from the environment and one from a file, both full of
    markdown, JSON and HTML special characters (tests/conftest.py checks every output for them)."""
    manifest = fleet / "manifests" / "gradio-hello.yaml"
    manifest.write_text(
        manifest.read_text().replace(
            "    HELLO_TOKEN: {fromEnv: HELLO_TOKEN}\n",
            "    HELLO_TOKEN: {fromEnv: HELLO_TOKEN}\n"
            "    SPECIAL: {fromEnv: CANARY_SPECIAL}\n"
            "    KEY_FILE: {fromFile: ../secrets/key.txt}\n",
        )
    )
    secret_file(fleet / "secrets" / "key.txt")


def leave_for_report(actions: Actions, command: str, name: str, document: dict[str, Any], exitcode: int) -> None:
    """What the run step leaves when the command's output quotes secret values (an app that
    prints its token into the build log, a Hub message echoing a value)."""
    work = actions.workdir(command)
    work.mkdir(parents=True, exist_ok=True)
    result = work / name
    holds_canary(result).write_text(json.dumps(document), encoding="utf-8")
    key = "artifact" if command in ("plan", "drift") else "result"
    state = {"command": command, "path": "manifests", "exitcode": exitcode, "changes": False, key: str(result)}
    (work / "state.json").write_text(json.dumps({**state, "notes": []}), encoding="utf-8")


def leaking_text() -> str:
    return f'token={SPECIAL_CANARY} key="{FILE_CANARY}"'


# ------------------------------------------------------------------------- item 2: redaction


def test_the_apply_summary_masks_values_before_escaping_them(fleet: Path, actions: Actions) -> None:
    add_special_secrets(fleet)
    failed = {
        "id": "local-org/gradio-hello",
        "rung": "upload",
        "outcome": "failed",
        "commit": None,
        "stage": "RUNTIME_ERROR",
        "message": f"RUNTIME_ERROR: crashed printing {leaking_text()}",
        "log_tail": [f"Traceback: {SPECIAL_CANARY}", FILE_CANARY, "```"],
    }
    leave_for_report(actions, "apply", "apply.json", {"results": [failed], "summary": {"failed": 1}}, 1)
    run = actions.run("apply", phases=("report",))  # the harness fails on any canary core
    assert run.report_code == 1
    assert "❌" in run.summary and "RUNTIME_ERROR: crashed printing token=\\*\\*\\*" in run.summary
    assert "::error::local-org/gradio-hello: RUNTIME_ERROR: crashed printing token=***" in run.log


def test_the_drift_issue_masks_values_with_quotes_and_backslashes(fleet: Path, actions: Actions) -> None:
    add_special_secrets(fleet)
    actions.event("schedule", {"schedule": "17 4 * * *"})
    entry = {
        "id": "local-org/gradio-hello",
        "status": "drifted",
        "stage": "RUNNING",
        "changes": [{"path": "spec.variables.NOTE", "before": "a", "after": leaking_text(), "note": SPECIAL_CANARY}],
        "detail": {"message": f"variable set by hand to {leaking_text()}"},
    }
    summary = {"in_sync": 4, "drifted": 1, "missing": 0, "unmanaged": 0, "failed": 0}
    report = {"format_version": 1, "created_at": "2026-11-22T04:17:00Z", "spaces": [entry], "summary": summary}
    leave_for_report(actions, "drift", "drift.json", report, 2)
    run = actions.run("drift", phases=("report",))
    assert run.report_code == 0
    (issue,) = actions.github.issues.values()  # the github fixture checks every body sent
    assert "***" in issue["body"] and "variable set by hand to token=" in issue["body"]


def test_the_plan_comment_masks_values_from_the_hub(hub: LocalHub, fleet: Path, actions: Actions) -> None:
    add_special_secrets(fleet)
    actions.pull_request()
    plan = actions.run("plan", phases=("run",))
    assert plan.outputs["exitcode"] == "2"
    path = Path(plan.outputs["plan-json"])
    document = json.loads(path.read_text())
    document["spaces"][0]["reason_codes"].append({"code": "text", "detail": f"the Hub said: {leaking_text()}"})
    holds_canary(path).write_text(json.dumps(document))  # as a Hub message quoting a value would reach it
    run = actions.run("plan", phases=("report",))
    assert run.report_code == 0
    (comment,) = actions.comments()
    assert "the Hub said: token=\\*\\*\\*" in comment["body"]


# ------------------------------------------------------------------------- item 5: forks


@pytest.mark.parametrize("event", ["pull_request", "pull_request_target"])
@pytest.mark.parametrize("command", ["preview-up", "apply", "preview-down"])
def test_forks_get_no_preview_and_no_apply(
    hub: LocalHub, fleet: Path, actions: Actions, event: str, command: str
) -> None:
    # The workflow's `if:` is not asked: the action itself refuses, whatever triggered it.
    actions.pull_request(fork=True, event=event)
    run = actions.run(command, args="--timeout 60s")
    assert run.report_code == 1 and run.outputs["exitcode"] == "1"
    assert f"refusing `{command}` for pull request #7: its head is a fork (someone/fleet-fork)" in run.log
    assert "$ reconcile" not in run.log  # no command ran
    assert "refusing" in run.summary
    assert list(HfApi(endpoint=hub.endpoint, token=hub.token).list_spaces(author="local-org")) == []


def test_a_fork_still_gets_its_plan(hub: LocalHub, fleet: Path, actions: Actions) -> None:
    actions.pull_request(fork=True, event="pull_request_target")
    run = actions.run("plan")
    assert run.report_code == 0 and run.outputs["exitcode"] == "2"


# ------------------------------------------------------------------------- item 6: authorship


def test_a_strangers_comment_carrying_the_marker_is_never_edited(hub: LocalHub, fleet: Path, actions: Actions) -> None:
    forged = actions.github.add_comment(7, f"{PLAN_MARK}\n## Spaces plan: manifests\n\n**No changes.**", "mallory")
    actions.pull_request()
    run = actions.run("plan")
    assert run.report_code == 0
    assert forged["body"].endswith("**No changes.**")  # untouched
    (ours,) = actions.comments()
    assert "to create" in ours["body"]
    assert [r.method for r in actions.github.writes()] == ["POST"]


def test_with_a_personal_token_only_its_own_comments_are_edited(hub: LocalHub, fleet: Path, actions: Actions) -> None:
    actions.pull_request()
    assert actions.run("plan").report_code == 0  # the workflow token: github-actions[bot]
    actions.run("plan", github_token=PAT_TOKEN)
    (bot,) = actions.comments()
    (mine,) = actions.comments(user="deploy-bot")
    assert bot["id"] != mine["id"]
    page = fleet / "manifests" / "apps" / "static-site" / "index.html"
    page.write_text(page.read_text() + "<!-- changed -->\n")  # the plan changes: the comment is edited
    actions.run("plan", github_token=PAT_TOKEN)
    assert [c["id"] for c in actions.comments(user="deploy-bot")] == [mine["id"]]  # edited in place
    assert [r.method for r in actions.github.writes()] == ["POST", "POST", "PATCH"]


def drift_report(drifted: int) -> dict[str, Any]:
    entry = {"id": "local-org/gradio-hello", "status": "drifted", "stage": "RUNNING", "changes": [], "detail": {}}
    counts = {"in_sync": 1, "drifted": drifted, "missing": 0, "unmanaged": 0, "failed": 0}
    return {"created_at": "2026-11-22T04:17:00Z", "spaces": [entry] if drifted else [], "summary": counts}


def test_a_strangers_drift_issue_is_never_taken_over(github: FakeGitHub) -> None:
    forged = github.add_issue("Spaces drift in manifests: in sync", f"{DRIFT_MARK}\nAll good", [drift_issue.LABEL])
    client = GitHub(github.url, WRITE_TOKEN, "acme/fleet")
    outcome, url = drift_issue.sync(client, drift_report(1), "manifests", Links())
    assert outcome == "opened" and url.endswith("/issues/2")
    assert forged["body"] == f"{DRIFT_MARK}\nAll good" and forged["state"] == "open"
    assert github.issues[2]["user"]["login"] == "github-actions[bot]"
    assert drift_issue.sync(client, drift_report(1), "manifests", Links())[0] == "updated"
    assert drift_issue.sync(client, drift_report(0), "manifests", Links())[0] == "closed"
    assert github.issues[2]["state"] == "closed" and forged["state"] == "open"
    assert 1 not in github.comments  # nothing written on the stranger's issue
