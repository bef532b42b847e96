"""Fixtures for the local Hub tests: a fresh, live local Hub per test."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from reconciler.localhub import LocalHub

_stopping: list[threading.Thread] = []


@pytest.fixture
def local_hub(tmp_path: Path) -> Iterator[LocalHub]:
    """A local Hub on an ephemeral loopback port, state under tmp_path; stopped after the test."""
    hub = LocalHub(tmp_path / "hub-state", host="127.0.0.1", port=0, build_seconds=20.0, restart_seconds=5.0)
    hub.start()
    try:
        yield hub
    finally:
        # uvicorn only notices a stop request on its 0.1 s tick, then drains connections: stopping
        # in the background keeps that wait out of every test. The session joins them all at the end.
        stopper = threading.Thread(target=hub.stop, name="localhub-stop", daemon=True)
        stopper.start()
        _stopping.append(stopper)


@pytest.fixture(scope="session", autouse=True)
def _all_local_hubs_stop() -> Iterator[None]:
    yield
    for stopper in _stopping:
        stopper.join(timeout=15)
    still_running = [t for t in _stopping if t.is_alive()]
    assert not still_running, f"{len(still_running)} local Hubs did not stop"
