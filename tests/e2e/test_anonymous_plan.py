"""A plan without any Hub token (a pull request from a fork): public Spaces are still
planned from what anyone may read; variables and secrets are unknown, never "removed"."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reconciler.localhub import LocalHub
from tests.e2e.conftest import run_cli

GRADIO = "local-org/gradio-hello"
APP = Path("manifests/apps/gradio-hello")


def test_plan_without_a_token_reads_public_spaces_and_says_what_it_cannot_know(
    hub: LocalHub, fleet: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert run_cli("apply", "--auto-approve", "--timeout", "60s").code == 0
    (APP / "app.py").write_text((APP / "app.py").read_text() + "\n# from a fork\n")
    monkeypatch.delenv("HF_TOKEN")
    monkeypatch.delenv("HELLO_TOKEN")  # forks get no secrets either

    result = run_cli("plan", "--format", "json")
    assert result.code == 0, result.output
    plan = json.loads(result.stdout)
    entries = {e["id"]: e for e in plan["spaces"]}
    gradio = entries[GRADIO]
    assert gradio["rung"] == "hot-reload"
    assert [c["path"] for c in gradio["changes"]] == []
    assert gradio["warnings"][0] == "variables and secrets were not compared: not readable with this token"
    assert any("No Hub token" in note for note in plan["notes"])
    assert entries["local-org/static-site"]["rung"] == "none"
    # The example's docker Space is private: invisible without a token, so the plan can only
    # propose to create it, and its note says why.
    assert entries["local/docker-echo"]["rung"] == "create"
