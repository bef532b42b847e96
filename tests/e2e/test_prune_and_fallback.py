"""Prune only what this tool owns; hot reload that the Hub cancels falls back to a restart."""

from __future__ import annotations

import json
from pathlib import Path

from huggingface_hub import CommitOperationAdd, HfApi

from reconciler.apply import ApplyOptions, Outcome, apply_one
from reconciler.hub.client import HubClient
from reconciler.localhub import LocalHub
from reconciler.model import OWNERSHIP_TAG, Action, FileChanges, FileEntry, ObservedDigest, PlanEntry, Rung
from reconciler.planner import PREVENT_DESTROY_TAG
from reconciler.results import Write, WriteKind
from tests.e2e.conftest import run_cli


def make_space(hub: LocalHub, space_id: str, tags: list[str], sdk_version: str = "6.2.0") -> None:
    api = HfApi(endpoint=hub.endpoint, token=hub.token)
    api.create_repo(space_id, repo_type="space", space_sdk="gradio")
    readme = f"---\nsdk: gradio\nsdk_version: {sdk_version}\ntags: [{', '.join(tags)}]\n---\n# x\n"
    api.create_commit(
        space_id,
        [
            CommitOperationAdd(path_in_repo="README.md", path_or_fileobj=readme.encode()),
            CommitOperationAdd(path_in_repo="app.py", path_or_fileobj=b"print('x')\n"),
        ],
        repo_type="space",
        commit_message="made by hand",
    )


def test_prune_deletes_only_spaces_carrying_the_ownership_marker(hub: LocalHub, fleet: Path) -> None:
    make_space(hub, "local-org/orphan", [OWNERSHIP_TAG])
    make_space(hub, "local-org/handmade", ["demo"])
    without = json.loads(run_cli("plan", "--format", "json").stdout)
    assert "local-org/orphan" not in {e["id"] for e in without["spaces"]}, "without --prune nothing is deleted"
    assert without["orphans"] == [{"id": "local-org/orphan", "prevent_destroy": False}]  # only counted

    result = run_cli("apply", "--auto-approve", "--prune", "--timeout", "60s", "--format", "json")
    assert result.code == 0, result.output
    api = HfApi(endpoint=hub.endpoint, token=hub.token)
    assert not api.repo_exists("local-org/orphan", repo_type="space")
    assert api.repo_exists("local-org/handmade", repo_type="space"), "a Space without the marker is never pruned"


def test_prune_refuses_a_space_with_prevent_destroy(hub: LocalHub, fleet: Path) -> None:
    make_space(hub, "local-org/precious", [OWNERSHIP_TAG, PREVENT_DESTROY_TAG])
    result = run_cli("plan", "--prune")
    assert result.code == 1
    assert "local-org/precious" in result.stderr and "preventDestroy" in result.stderr
    assert "Traceback" not in result.output
    assert HfApi(endpoint=hub.endpoint, token=hub.token).repo_exists("local-org/precious", repo_type="space")


def test_the_prevent_destroy_refusal_is_said_once_for_every_space(hub: LocalHub, fleet: Path) -> None:
    make_space(hub, "local-org/precious", [OWNERSHIP_TAG, PREVENT_DESTROY_TAG])
    make_space(hub, "local-org/treasured", [OWNERSHIP_TAG, PREVENT_DESTROY_TAG])
    refusal = "--prune refuses to delete local-org/precious, local-org/treasured: they carry lifecycle.preventDestroy"
    for args in (
        ("plan", "--prune"),
        ("plan", "--prune", "--format", "markdown"),
        ("apply", "--prune", "--auto-approve"),
        ("apply", "--prune", "--auto-approve", "--format", "json"),
    ):
        result = run_cli(*args)
        assert result.code == 1, result.output
        assert result.output.count(refusal) == 1, result.output
        assert result.output.count("preventDestroy") == 2, result.output  # the refusal and its hint
        for space_id in ("local-org/precious", "local-org/treasured"):
            assert result.output.count(space_id) == 1, result.output
        assert f"error: {refusal}; nothing was written" in result.stderr
    api = HfApi(endpoint=hub.endpoint, token=hub.token)
    assert api.repo_exists("local-org/precious", repo_type="space")
    assert api.repo_exists("local-org/treasured", repo_type="space")


def test_without_prune_the_refusal_is_said_once_in_the_same_words(hub: LocalHub, fleet: Path) -> None:
    assert run_cli("apply", "--auto-approve", "--timeout", "60s").code == 0
    make_space(hub, "local-org/precious", [OWNERSHIP_TAG, PREVENT_DESTROY_TAG])
    refusal = "--prune refuses to delete local-org/precious: it carries lifecycle.preventDestroy"
    for args in (("plan",), ("plan", "--format", "markdown"), ("apply", "--auto-approve")):
        result = run_cli(*args)
        assert result.code == 0, result.output
        assert result.output.count(refusal) == 1, result.output
        assert result.output.count("preventDestroy") == 1, result.output
        assert result.output.count("local-org/precious") == 2, result.output  # listed, then refused
        assert result.output.count("No changes") == 1, result.output


def test_canceled_hot_reload_falls_back_to_a_restart_running_the_new_code(hub: LocalHub, fleet: Path) -> None:
    # gradio 5 cannot hot reload: the Hub cancels the reload, apply must notice and restart.
    make_space(hub, "local-org/old-gradio", ["demo"], sdk_version="5.9.1")
    api = HfApi(endpoint=hub.endpoint, token=hub.token)
    api.restart_space("local-org/old-gradio")
    parent = api.space_info("local-org/old-gradio").sha
    entry = PlanEntry(
        id="local-org/old-gradio",
        action=Action.UPDATE,
        rung=Rung.HOT_RELOAD,
        files=FileChanges(modified=(FileEntry(path="app.py", size=12),)),
        observed=ObservedDigest(sha=parent),
    )
    from tests.builders import desired

    want = desired("local-org/old-gradio", files={"app.py": "print('y')\n"})
    progress: list[str] = []
    with HubClient(hub.endpoint, hub.token) as client:
        options = ApplyOptions(timeout_s=30, poll_s=0.05, grace_s=5)
        result = apply_one(client, entry, want, None, options, lambda _, text: progress.append(text))
    assert result.outcome is Outcome.APPLIED, result.message
    assert any("hot reload not confirmed" in line for line in progress)
    assert Write(kind=WriteKind.RESTART) in result.written
    runtime = api.get_space_runtime("local-org/old-gradio")
    assert runtime.stage == "RUNNING" and api.space_info("local-org/old-gradio").sha == result.commit
