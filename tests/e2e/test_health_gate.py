"""The health gate gives up after --timeout and says where the Space was."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reconciler.localhub import LocalHub
from tests.e2e.conftest import run_cli


def test_a_build_slower_than_the_timeout_fails_with_the_stage(
    tmp_path: Path, fleet: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with LocalHub(tmp_path / "slow-hub", build_seconds=600, restart_seconds=5) as slow:
        monkeypatch.setenv("HF_ENDPOINT", slow.endpoint)
        monkeypatch.setenv("HF_TOKEN", slow.token)
        monkeypatch.setenv("RECONCILE_POLL_INTERVAL", "0.1")
        result = run_cli(
            "apply", "--auto-approve", "--target", "local/docker-echo", "--timeout", "1s", "--format", "json"
        )
    assert result.code == 1
    (outcome,) = json.loads(result.stdout)["results"]
    assert outcome["outcome"] == "failed" and outcome["stage"] == "BUILDING"
    assert "timed out after 1s waiting for RUNNING" in outcome["message"]
    assert "already written: create" in outcome["message"], "a failure says what already reached the Hub"
