"""Reliability fixtures: a live local Hub with fast builds, and a workspace that is the cwd."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.localhub import LocalHub
from tests.conftest import CANARY
from tests.e2e.conftest import hub  # noqa: F401  (the same live local Hub as the end-to-end tests)
from tests.reliability.helpers import SECRET_ENV, Admin


@pytest.fixture
def admin(hub: LocalHub) -> Admin:  # noqa: F811  (hub is the imported fixture)
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
