"""The Hub's rules end to end: a new static Space's seeded files do not linger, and settings the
namespace's plan does not allow stop plan with the manifest's position (hub-contract §13)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reconciler.localhub import LocalHub
from tests.e2e.conftest import repository, run_cli
from tests.localhub.hubtools import add_token, admin

HEAD = "apiVersion: spaces-reconciler/v1\nkind: Space\n"


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    files = {"site/index.html": "<p>only a page</p>\n", "app/Dockerfile": "FROM python:3.12\n"}
    return repository(tmp_path / "repo", monkeypatch, files)


def test_a_new_static_space_keeps_only_the_files_of_git(hub: LocalHub, repo: Path) -> None:
    (repo / "manifests" / "s.yaml").write_text(
        HEAD + "metadata: {namespace: local, name: page}\nspec: {sdk: static, source: {path: ../site}}\n"
    )
    # The plan says what the commit will remove: the starter file the Hub adds and git lacks.
    (created,) = json.loads(run_cli("plan", "--format", "json", "manifests").stdout)["spaces"]
    assert created["files"]["starter"] == ["style.css"]
    assert [s["deletions"] for s in created["steps"] if s["kind"] == "commit"] == [1]
    assert "- style.css  (the Hub's starter file)" in run_cli("plan", "manifests").stdout
    assert run_cli("apply", "--auto-approve", "--timeout", "60s", "manifests").code == 0
    files = admin(hub, "GET", "repos/space/local/page")["files"]
    assert files == [".gitattributes", "README.md", "index.html"]  # the Hub's style.css is gone
    (entry,) = json.loads(run_cli("plan", "--format", "json", "manifests").stdout)["spaces"]
    assert entry["rung"] == "none"


def test_dev_mode_and_paid_hardware_need_the_namespaces_plan(
    hub: LocalHub, repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    add_token(hub, "hf_newbie", "newbie")
    monkeypatch.setenv("HF_TOKEN", "hf_newbie")
    (repo / "manifests" / "s.yaml").write_text(
        HEAD + "metadata: {namespace: newbie, name: gpu}\n"
        "spec: {sdk: docker, hardware: t4-small, devMode: true, source: {path: ../app}}\n"
    )
    result = run_cli("plan", "manifests")
    assert result.code == 1
    assert "manifests/s.yaml:1:1: error: newbie/gpu: dev mode needs a PRO plan" in result.stderr
    assert "manifests/s.yaml:1:1: error: newbie/gpu: hardware t4-small is billed" in result.stderr
    admin(hub, "POST", "accounts/newbie", {"plan": "pro", "canPay": True})
    assert run_cli("apply", "--auto-approve", "--timeout", "60s", "manifests").code == 0
    assert json.loads(run_cli("plan", "--format", "json", "manifests").stdout)["spaces"][0]["rung"] == "none"
