"""Reliability fixtures: a live local Hub with fast builds, and a workspace that is the cwd."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from reconciler.localhub import LocalHub
from tests.conftest import CANARY
from tests.reliability.helpers import SECRET_ENV, Admin


@pytest.fixture
def hub(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[LocalHub]:
    with LocalHub(tmp_path / "hub-state", build_seconds=0.3, restart_seconds=0.2) as local:
        monkeypatch.setenv("HF_ENDPOINT", local.endpoint)
        monkeypatch.setenv("HF_TOKEN", local.token)
        monkeypatch.setenv("RECONCILE_POLL_INTERVAL", "0.1")
        yield local


@pytest.fixture
def admin(hub: LocalHub) -> Admin:
    return Admin(hub)


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A repository root (cwd of the test); the fleet's secret value is the canary."""
    root = tmp_path / "repo"
    root.mkdir()
    monkeypatch.chdir(root)
    monkeypatch.setenv(SECRET_ENV, CANARY)
    monkeypatch.setenv("RECONCILE_FINGERPRINT_KEY", "reliability-fingerprint-key")
    return root
