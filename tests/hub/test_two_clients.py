"""Two HubClients in one process keep their own pacing and request counts.

huggingface_hub sends every request through one process-wide httpx client, so the hooks that
count and pace are shared; each request must still reach the client that made it. The real
client talks over HTTP to two local Hubs, one of which announces a tiny rate limit.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from reconciler.hub.client import HubClient
from reconciler.localhub import LocalHub
from tests.localhub.hubtools import admin

READS = 8


@pytest.fixture
def two_hubs(tmp_path: Path) -> Iterator[tuple[LocalHub, LocalHub]]:
    with LocalHub(tmp_path / "a") as tight, LocalHub(tmp_path / "b") as roomy:
        # Hub A allows 4 API requests per 2 s window and says so in every answer's RateLimit header.
        admin(tight, "POST", "faults", {"rate_limit": {"requests": 4, "window_s": 2}})
        yield tight, roomy


def _read_hardware(client: HubClient, times: int) -> None:
    for _ in range(times):
        client.read(lambda: client._api.list_spaces_hardware())


def test_two_clients_on_two_hubs_pace_and_count_their_own_requests(two_hubs: tuple[LocalHub, LocalHub]) -> None:
    tight, roomy = two_hubs
    with (
        HubClient(tight.endpoint, tight.token, parallelism=1) as slow,
        HubClient(roomy.endpoint, roomy.token, parallelism=1) as fast,
    ):
        workers = [
            threading.Thread(target=_read_hardware, args=(slow, READS)),
            threading.Thread(target=_read_hardware, args=(fast, READS)),
        ]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
        # Each client counted exactly its own requests: none retried, none lost to the other.
        assert slow.stats.snapshot() == {"GET /api/spaces/hardware": READS}
        assert fast.stats.snapshot() == {"GET /api/spaces/hardware": READS}
        # Hub A's budget held the slow client back before it ran into a 429; the other never waited.
        assert slow.pacer.waited_s > 0 and slow.retries == []
        assert fast.pacer.waited_s == 0 and fast.retries == []


def test_two_clients_on_one_hub_each_count_the_calls_they_make(tmp_path: Path) -> None:
    with LocalHub(tmp_path / "hub") as hub, HubClient(hub.endpoint, hub.token) as one:
        with HubClient(hub.endpoint, hub.token) as other:
            workers = [
                threading.Thread(target=_read_hardware, args=(one, 3)),
                threading.Thread(target=_read_hardware, args=(other, 5)),
            ]
            for worker in workers:
                worker.start()
            for worker in workers:
                worker.join()
            assert (one.stats.total, other.stats.total) == (3, 5)
        # The older client still counts once the newer one is closed.
        _read_hardware(one, 1)
        assert one.stats.total == 4 and other.stats.total == 5
