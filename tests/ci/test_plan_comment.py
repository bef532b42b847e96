"""The plan job of a pull request: one comment per pull request and path, edited in place."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reconciler.localhub import LocalHub
from tests.ci.conftest import HEAD_SHA, Actions
from tests.ci.fake_github import LIMIT, READ_ONLY_TOKEN
from tests.e2e.conftest import run_cli

MARKER = "<!-- spaces-reconciler:plan:manifests -->"


def test_first_run_creates_the_comment_and_the_second_edits_it(hub: LocalHub, fleet: Path, actions: Actions) -> None:
    actions.github.add_comment(7, "Looks good to me")  # a person's comment is never touched
    actions.pull_request(head_sha=HEAD_SHA)
    first = actions.run("plan")
    assert (first.run_code, first.report_code) == (0, 0)
    assert first.outputs["exitcode"] == "2" and first.outputs["changes"] == "true"
    plan = json.loads(Path(first.outputs["plan-json"]).read_text())
    assert plan["summary"]["create"] == 5
    (comment,) = actions.comments()
    assert comment["body"].startswith("## Spaces plan: manifests")
    assert MARKER in comment["body"] and HEAD_SHA[:12] in comment["body"]
    assert "/artifacts/99" in comment["body"] and "<details>" in comment["body"]
    assert "local-org/gradio-hello" in comment["body"]
    assert comment["body"] in first.summary

    # The next push: apply happened in between, so the plan now says no changes.
    assert run_cli("apply", "--auto-approve", "--timeout", "60s").code == 0
    actions.pull_request(head_sha="b" * 40)
    second = actions.run("plan")
    assert (second.run_code, second.report_code) == (0, 0)
    assert second.outputs["exitcode"] == "0" and second.outputs["changes"] == "false"
    (updated,) = actions.comments()
    assert updated["id"] == comment["id"]
    assert "No changes" in updated["body"] and "b" * 12 in updated["body"]
    assert len(actions.github.comments[7]) == 2
    assert actions.github.comments[7][0]["body"] == "Looks good to me"
    assert [r.method for r in actions.github.writes()] == ["POST", "PATCH"]


def test_the_marker_is_found_beyond_the_first_page(hub: LocalHub, fleet: Path, actions: Actions) -> None:
    actions.github.page_size = 3
    actions.pull_request()
    actions.run("plan")
    for index in range(8):
        actions.github.add_comment(7, f"comment {index}")
    actions.run("plan", extra_env={"HELLO_TOKEN": "another-value"})
    assert len(actions.comments()) == 1
    assert [r.method for r in actions.github.writes()] == ["POST"]  # unchanged plan: no edit at all


def test_an_oversize_plan_is_truncated_under_the_limit(hub: LocalHub, fleet: Path, actions: Actions) -> None:
    app = fleet / "manifests" / "apps" / "static-site"
    for index in range(1500):
        (app / f"page-with-a-rather-long-descriptive-name-{index:04d}.html").write_text(f"<p>{index}</p>\n")
    actions.pull_request()
    run = actions.run("plan")
    assert run.report_code == 0
    (comment,) = actions.comments()
    body = comment["body"]
    assert len(body) < LIMIT
    assert "truncated to fit GitHub's comment limit; see the full plan artifact" in body
    assert "/artifacts/99" in body and MARKER in body
    full = json.loads(Path(run.outputs["plan-json"]).read_text())
    static = next(s for s in full["spaces"] if s["id"] == "local-org/static-site")
    assert len(static["files"]["added"]) > 1500  # the artifact keeps everything


def test_fork_pull_request_gets_a_plan_with_secrets_unknown(
    hub: LocalHub, fleet: Path, actions: Actions, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert run_cli("apply", "--auto-approve", "--timeout", "60s").code == 0
    # No secret values in a fork's job. The Hub token stays: the Hub shows a Space's variables and
    # secret names to authenticated callers only, so a plan without any token cannot be made.
    monkeypatch.delenv("HELLO_TOKEN")
    actions.pull_request(fork=True)
    run = actions.run("plan")
    assert (run.run_code, run.report_code) == (0, 0)
    (comment,) = actions.comments()
    assert "Pull request from a fork" in comment["body"]
    assert "secret HELLO_TOKEN: value not available in this environment" in comment["body"]


def test_fork_token_cannot_comment_so_the_plan_stays_in_the_summary(
    hub: LocalHub, fleet: Path, actions: Actions
) -> None:
    actions.pull_request(fork=True)
    run = actions.run("plan", github_token=READ_ONLY_TOKEN)
    assert (run.run_code, run.report_code) == (0, 0)  # the job does not fail
    assert actions.comments() == []
    assert "::warning::could not comment on the pull request" in run.log
    assert "## Spaces plan: manifests" in run.summary


def test_a_failed_plan_replaces_the_comment_and_fails_the_job(hub: LocalHub, fleet: Path, actions: Actions) -> None:
    actions.pull_request()
    assert actions.run("plan").report_code == 0
    broken = fleet / "manifests" / "static-site.yaml"
    broken.write_text(broken.read_text().replace("sdk: static", "sdk: statik"))
    run = actions.run("plan")
    assert run.run_code == 0 and run.report_code == 1
    assert run.outputs["exitcode"] == "1"
    (comment,) = actions.comments()
    assert "failed" in comment["body"] and MARKER in comment["body"]
    assert "::error::reconcile plan failed" in run.log


def test_comment_false_posts_nothing(hub: LocalHub, fleet: Path, actions: Actions) -> None:
    actions.pull_request()
    run = actions.run("plan", comment="false")
    assert run.report_code == 0 and "## Spaces plan" in run.summary
    assert actions.github.requests == []


def test_each_shard_keeps_its_own_comment(hub: LocalHub, fleet: Path, actions: Actions) -> None:
    actions.pull_request()
    for shard in ("1/2", "2/2"):
        assert actions.run("plan", args=f"--shard {shard}").report_code == 0
    bodies = [c["body"] for c in actions.comments()]
    assert len(bodies) == 2
    assert "(shard 1/2)" in bodies[0] and "(shard 2/2)" in bodies[1]
    total = sum(json.loads(Path(p).read_text())["summary"]["create"] for p in _plan_files(actions))
    assert total == 5


def _plan_files(actions: Actions) -> list[str]:
    return sorted(str(p) for p in (actions.root / "runner-temp").rglob("plan.json"))
