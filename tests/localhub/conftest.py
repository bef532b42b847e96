"""Fixtures for the local Hub tests: a fresh, live local Hub per test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from reconciler.localhub import LocalHub


@pytest.fixture
def local_hub(tmp_path: Path) -> Iterator[LocalHub]:
    """A local Hub on an ephemeral loopback port, state under tmp_path; stopped after the test."""
    hub = LocalHub(tmp_path / "hub-state", host="127.0.0.1", port=0, build_seconds=20.0, restart_seconds=5.0)
    hub.start()
    try:
        yield hub
    finally:
        hub.stop()
