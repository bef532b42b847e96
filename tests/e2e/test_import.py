"""`reconcile import` round trip: Spaces made by hand -> manifests -> a plan with no changes
(apart from secret values it cannot know, which it says)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from huggingface_hub import CommitOperationAdd, HfApi, Volume

from reconciler.localhub import LocalHub
from tests.e2e.conftest import run_cli

README = "---\ntitle: {title}\nemoji: 🧪\ncolorFrom: red\ncolorTo: blue\nsdk: {sdk}\n{extra}---\n\n# {title}\n"


def handmade(api: HfApi, space_id: str, sdk: str, files: dict[str, bytes], extra: str = "") -> None:
    api.create_repo(space_id, repo_type="space", space_sdk=sdk)
    readme = README.format(title=space_id.split("/")[1], sdk=sdk, extra=extra).encode()
    operations = [
        CommitOperationAdd(path_in_repo=p, path_or_fileobj=c) for p, c in {**files, "README.md": readme}.items()
    ]
    api.create_commit(space_id, operations, repo_type="space", commit_message="by hand")


@pytest.fixture
def by_hand(hub: LocalHub, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> HfApi:
    workspace = tmp_path / "adopted"
    (workspace / ".git").mkdir(parents=True)
    monkeypatch.chdir(workspace)
    api = HfApi(endpoint=hub.endpoint, token=hub.token)
    handmade(api, "local/hand-gradio", "gradio", {"app.py": b"print('hi')\n", "utils/x.py": b"X = 1\n"},
             extra="sdk_version: 6.3.0\napp_file: app.py\ntags:\n- demo\n")  # fmt: skip
    api.add_space_variable("local/hand-gradio", "MODE", "prod")
    api.add_space_secret("local/hand-gradio", "API_KEY", "never-readable")
    api.create_bucket("local/data")
    api.set_space_volumes("local/hand-gradio", [Volume(type="bucket", source="local/data", mount_path="/data")])
    api.request_space_hardware("local/hand-gradio", "cpu-upgrade", sleep_time=3600)
    handmade(api, "local/hand-docker", "docker", {"Dockerfile": b"FROM python:3.12\n"}, extra="app_port: 8080\n")
    handmade(api, "local/hand-static", "static", {"index.html": b"<h1>hi</h1>\n"})
    api.update_repo_settings("local/hand-static", repo_type="space", visibility="private")
    return api


def test_import_then_plan_shows_no_changes_but_unknown_secrets(by_hand: HfApi) -> None:
    result = run_cli("import", "--namespace", "local")
    assert result.code == 0, result.output
    manifest = Path("manifests/hand-gradio.yaml").read_text()
    assert "API_KEY:\n      fromEnv: API_KEY" in manifest
    assert "never-readable" not in manifest
    assert Path("manifests/apps/hand-gradio/utils/x.py").read_text() == "X = 1\n"

    assert run_cli("validate", "manifests").code == 0
    plan = run_cli("plan", "--format", "json", "--detailed-exitcode")
    assert plan.code == 0, plan.output
    entries = {e["id"]: e for e in json.loads(plan.stdout)["spaces"]}
    assert set(entries) == {"local/hand-gradio", "local/hand-docker", "local/hand-static"}
    assert {e["rung"] for e in entries.values()} == {"none"}
    assert entries["local/hand-gradio"]["warnings"] == [
        "secret API_KEY: value not available in this environment; not written by spaces-reconciler"
    ]


def test_import_refuses_to_overwrite_without_force(by_hand: HfApi) -> None:
    assert run_cli("import", "local/hand-static").code == 0
    again = run_cli("import", "local/hand-static")
    assert again.code == 1
    assert "refusing to overwrite" in again.stderr and "--force" in again.stderr
    assert run_cli("import", "local/hand-static", "--force").code == 0
