"""The nightly drift issue: opened on drift or failures, updated on later nights, closed when the
fleet is back in sync. Driven by drift reports in the command's JSON form."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from reconciler.ci import drift_issue
from reconciler.ci.comment import Links
from reconciler.ci.github import GitHub
from reconciler.localhub import LocalHub
from tests.ci.conftest import Actions
from tests.ci.fake_github import WRITE_TOKEN, FakeGitHub
from tests.e2e.conftest import run_cli


def report(**summary: int) -> dict[str, Any]:
    counts = {"in_sync": 0, "drifted": 0, "missing": 0, "unmanaged": 0, "failed": 0, **summary}
    spaces = []
    if summary.get("drifted"):
        spaces.append(
            {
                "id": "local-org/gradio-hello",
                "status": "drifted",
                "stage": "RUNNING",
                "changes": [{"path": "spec.hardware", "before": "cpu-basic", "after": "t4-small", "note": None}],
                "detail": {"message": "hardware changed on the Hub"},
            }
        )
    if summary.get("failed"):
        spaces.append(
            {"id": "local-org/static-site", "status": "failed", "stage": "BUILD_ERROR", "changes": [], "detail": {}}
        )
    return {"format_version": 1, "created_at": "2026-11-22T04:17:00Z", "spaces": spaces, "summary": counts}


def test_opens_updates_and_closes_one_issue(github: FakeGitHub) -> None:
    client = GitHub(github.url, WRITE_TOKEN, "acme/fleet")
    links = Links(run_url="https://github.example/acme/fleet/actions/runs/1")
    assert drift_issue.sync(client, report(in_sync=5), "manifests", links) == ("none", "")
    assert github.issues == {}

    outcome, url = drift_issue.sync(client, report(drifted=1, in_sync=4), "manifests", links)
    assert outcome == "opened" and url.endswith("/issues/1")
    issue = github.issues[1]
    assert issue["title"] == "Spaces drift in manifests: 1 drifted"
    assert "<!-- spaces-reconciler:drift:manifests -->" in issue["body"]
    assert "t4-small" in issue["body"] and [x["name"] for x in issue["labels"]] == ["spaces-reconciler-drift"]

    outcome, _ = drift_issue.sync(client, report(drifted=1, failed=1, in_sync=3), "manifests", links)
    assert outcome == "updated" and len(github.issues) == 1
    assert github.issues[1]["title"] == "Spaces drift in manifests: 1 failed, 1 drifted"
    assert "BUILD\\_ERROR" in github.issues[1]["body"] or "BUILD_ERROR" in github.issues[1]["body"]

    # Another path keeps its own issue.
    assert drift_issue.sync(client, report(drifted=1), "other", links)[0] == "opened"

    outcome, _ = drift_issue.sync(client, report(in_sync=5), "manifests", links)
    assert outcome == "closed"
    assert github.issues[1]["state"] == "closed" and github.issues[2]["state"] == "open"
    assert "back in sync" in github.comments[1][0]["body"]

    # Drift again later: a closed issue is history, a new one is opened.
    assert drift_issue.sync(client, report(drifted=1), "manifests", links)[0] == "opened"


def test_unmanaged_spaces_alone_open_no_issue(github: FakeGitHub) -> None:
    client = GitHub(github.url, WRITE_TOKEN, "acme/fleet")
    assert drift_issue.sync(client, report(in_sync=5, unmanaged=2), "manifests", Links())[0] == "none"


def test_managed_spaces_without_a_manifest_open_the_issue(github: FakeGitHub) -> None:
    # What makes `drift --detailed-exitcode` exit 2 opens the issue: orphans too.
    client = GitHub(github.url, WRITE_TOKEN, "acme/fleet")
    orphaned = dict(report(in_sync=4, unmanaged=1), orphans=[{"id": "local/docker-echo", "prevent_destroy": True}])
    assert drift_issue.sync(client, orphaned, "manifests", Links())[0] == "opened"
    body = github.issues[1]["body"]
    assert "Managed Spaces with no manifest: `local/docker-echo` (preventDestroy)" in body
    assert drift_issue.sync(client, report(in_sync=4), "manifests", Links())[0] == "closed"


def test_a_huge_report_stays_under_the_limit() -> None:
    base = report(drifted=1)
    entry = base["spaces"][0]
    base["spaces"] = [dict(entry, id=f"local-org/space-{i:05d}") for i in range(3000)]
    base["summary"]["drifted"] = 3000
    body = drift_issue.body(base, "manifests", Links())
    assert len(body) < 65536 and "left out to fit GitHub's limit" in body


def test_drift_workflow_against_the_local_hub(
    hub: LocalHub, fleet: Path, actions: Actions, monkeypatch: pytest.MonkeyPatch
) -> None:
    from huggingface_hub import HfApi

    monkeypatch.setenv("RECONCILE_FINGERPRINT_KEY", "drift-test-key")
    actions.event("schedule", {"schedule": "17 4 * * *"})
    assert run_cli("apply", "--auto-approve", "--timeout", "60s").code == 0
    night = actions.run("drift")
    assert night.outputs["exitcode"] == "0" and actions.github.issues == {}

    HfApi(endpoint=hub.endpoint, token=hub.token).request_space_hardware("local-org/gradio-hello", "t4-small")
    first = actions.run("drift")
    assert first.report_code == 0 and first.outputs["exitcode"] == "2"
    (issue,) = actions.github.issues.values()
    assert issue["state"] == "open" and "drifted" in issue["title"]
    assert json.loads(Path(first.outputs["artifact"]).read_text())["summary"]["drifted"] == 1

    second = actions.run("drift")
    assert second.report_code == 0 and len(actions.github.issues) == 1

    assert run_cli("apply", "--auto-approve", "--timeout", "60s").code == 0
    actions.run("drift")
    assert issue["state"] == "closed"


def test_the_issue_says_apply_keeps_volumes_mounted_by_hand_only_when_there_are_some() -> None:
    links = Links(run_url="https://ci/run/1")
    plain = report(drifted=1)
    assert drift_issue.HAND_MOUNTED not in drift_issue.body(plain, "manifests", links)
    mounted = report(drifted=1)
    mounted["spaces"][0]["detail"]["hand_mounted_volumes"] = [
        {"type": "bucket", "source": "local-org/b", "mount_path": "/mnt"}
    ]
    assert drift_issue.HAND_MOUNTED in drift_issue.body(mounted, "manifests", links)
