"""A secret rewritten after our write is told from our own write by the Hub's clock alone: a
runner whose clock is minutes off neither reports its own write as "changed outside git" nor
misses a change made on the Hub a couple of minutes later (hub/clock.py, diff.py)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from huggingface_hub import HfApi

from reconciler.localhub import LocalHub
from tests.conftest import CANARY
from tests.e2e.conftest import repository, run_cli, serving
from tests.localhub.hubtools import admin

SPACE = "local/clocked"
MANIFEST = """\
apiVersion: spaces-reconciler/v1
kind: Space
metadata: {namespace: local, name: clocked}
spec:
  sdk: docker
  secrets: {API_TOKEN: {fromEnv: API_TOKEN}}
  source: {path: ../app}
"""


@pytest.fixture(params=[600, -600], ids=["runner-10min-behind", "runner-10min-ahead"])
def skewed(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[LocalHub]:
    """A local Hub whose clock is ten minutes ahead of (or behind) this runner's."""
    with serving(
        tmp_path / "hub-state",
        monkeypatch,
        grace_s=None,
        build_seconds=0.3,
        restart_seconds=0.2,
        stage_lag_seconds=0.3,
        clock_offset_s=request.param,
    ) as local:
        monkeypatch.setenv("RECONCILE_FINGERPRINT_KEY", "clock-test-key")
        monkeypatch.setenv("API_TOKEN", CANARY)
        files = {"app/Dockerfile": "FROM python:3.12\n", "manifests/s.yaml": MANIFEST}
        repository(tmp_path / "repo", monkeypatch, files)
        yield local


def _plan() -> dict[str, Any]:
    result = run_cli("plan", "--format", "json", "manifests")
    (entry,) = json.loads(result.stdout)["spaces"]
    return dict(entry)


def _secret_notes(entry: dict[str, Any]) -> list[str]:
    return [c["note"] for c in entry["changes"] if c["path"] == "spec.secrets.API_TOKEN"]


def test_our_own_write_is_not_changed_outside_git(skewed: LocalHub) -> None:
    assert run_cli("apply", "--auto-approve", "--timeout", "60s", "manifests").code == 0
    entry = _plan()
    assert (entry["rung"], entry["changes"]) == ("none", []), entry


def test_a_rewrite_two_minutes_later_on_the_hub_is_seen(skewed: LocalHub) -> None:
    assert run_cli("apply", "--auto-approve", "--timeout", "60s", "manifests").code == 0
    api = HfApi(endpoint=skewed.endpoint, token=skewed.token)
    ours = api.get_space_secrets(SPACE)["API_TOKEN"].description
    admin(skewed, "POST", "clock", {"advance_s": 120})  # two minutes pass on the Hub
    # Someone edits the value in the Space's settings and keeps the description we wrote.
    api.add_space_secret(SPACE, "API_TOKEN", "edited-by-hand", description=ours)
    notes = _secret_notes(_plan())
    if skewed.fidelity.secret_metadata_on_read:
        assert len(notes) == 1 and notes[0].startswith("changed outside git: updated at "), notes
    else:
        # Without the description and date nothing tells who wrote it (hub-contract §13): never "changed".
        assert notes == [], notes
