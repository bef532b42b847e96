"""Preview Spaces through the action: up creates private, tagged copies of the changed Spaces
with only preview secrets and comments their links; down deletes them and nothing else."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from huggingface_hub import HfApi

from reconciler.localhub import LocalHub
from tests.ci.conftest import Actions
from tests.e2e.conftest import run_cli

PREVIEW = "local-org/gradio-hello-pr-7"


def test_preview_up_and_down(hub: LocalHub, fleet: Path, actions: Actions, monkeypatch: pytest.MonkeyPatch) -> None:
    manifest = fleet / "manifests" / "gradio-hello.yaml"
    manifest.write_text(
        manifest.read_text().replace(
            "    HELLO_TOKEN: {fromEnv: HELLO_TOKEN}\n",
            "    HELLO_TOKEN: {fromEnv: HELLO_TOKEN}\n    DEMO_KEY: {fromEnv: DEMO_KEY, preview: true}\n",
        )
    )
    monkeypatch.setenv("DEMO_KEY", "preview-safe-value")
    assert run_cli("apply", "--auto-approve", "--timeout", "60s").code == 0
    api = HfApi(endpoint=hub.endpoint, token=hub.token)
    api.create_repo("local-org/static-site-pr-7", repo_type="space", space_sdk="static")  # made by hand
    app = fleet / "manifests" / "apps" / "gradio-hello" / "app.py"
    app.write_text(app.read_text() + "\n# changed by the pull request\n")

    actions.pull_request(number=7)
    up = actions.run("preview-up")
    assert (up.run_code, up.report_code) == (0, 0), up.log
    info = api.space_info(PREVIEW)
    assert info.private
    tags = info.card_data.to_dict()["tags"]  # type: ignore[union-attr]
    assert "spaces-reconciler" in tags and "spaces-reconciler-preview" in tags
    assert "spaces-reconciler-prevent-destroy" not in tags
    assert set(api.get_space_secrets(PREVIEW)) == {"DEMO_KEY"}  # HELLO_TOKEN is not for previews
    assert api.get_space_runtime(PREVIEW).stage == "RUNNING"
    (comment,) = actions.comments()
    assert "<!-- spaces-reconciler:preview:manifests -->" in comment["body"]
    assert f"{hub.endpoint}/spaces/{PREVIEW}" in comment["body"]
    document = json.loads((Path(actions.env["RUNNER_TEMP"]).rglob("previews.json").__next__()).read_text())
    assert [p["id"] for p in document["previews"]] == [PREVIEW]  # only the changed Space

    # Prune never takes a preview for a Space of the fleet.
    prune = run_cli("plan", "--prune", "--format", "json")
    assert PREVIEW not in [s["id"] for s in json.loads(prune.stdout)["spaces"]]

    # A second push edits the same comment; the preview is already up to date.
    again = actions.run("preview-up")
    assert again.report_code == 0 and len(actions.comments()) == 1

    actions.pull_request(number=7)
    down = actions.run("preview-down")
    assert (down.run_code, down.report_code) == (0, 0), down.log
    remaining = {s.id for s in api.list_spaces(author="local-org")}
    assert PREVIEW not in remaining
    assert "local-org/static-site-pr-7" in remaining  # no preview tag: never deleted
    assert "local-org/gradio-hello" in remaining
    (comment,) = actions.comments()
    assert "previews were deleted" in comment["body"]


def test_preview_needs_a_pull_request(hub: LocalHub, fleet: Path, actions: Actions) -> None:
    run = actions.run("preview-up")  # a push event
    assert run.report_code == 1
    assert "needs a pull request" in run.log
