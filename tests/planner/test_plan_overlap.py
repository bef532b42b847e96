"""The plan keeps its request slots busy (P2): no worker waits for the hardware prices.

A plan reads the hardware prices once, beside the per-Space reads. Here the prices answer
slowly (latency on that one route of the local Hub): every Space must still be read while
they are in flight, so a plan of N Spaces costs its reads, not the prices read plus most of
its reads after it.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from huggingface_hub import HfApi

from reconciler.hub.cache import TreeCache
from reconciler.hub.client import HubClient
from reconciler.localhub import LocalHub
from reconciler.model import Action
from reconciler.pipeline import make_plan
from tests.builders import desired
from tests.reliability.helpers import Admin

FLEET = [desired(f"local-org/s{i}") for i in range(24)]
PARALLELISM = 4
PRICES = "GET /api/spaces/hardware"
PRICES_LATENCY_S = 5.0
VARIABLES = "GET /api/spaces/{id}/variables"


def test_spaces_are_read_while_the_hardware_prices_are_in_flight(tmp_path: Path) -> None:
    with LocalHub(tmp_path / "hub") as hub, HubClient(hub.endpoint, hub.token, parallelism=PARALLELISM) as client:
        api = HfApi(endpoint=hub.endpoint, token=hub.token)
        for space in FLEET:
            api.create_repo(space.id, repo_type="space", space_sdk="gradio")
        admin = Admin(hub)
        admin.faults(latency_ms=PRICES_LATENCY_S * 1000, routes=[PRICES])
        admin.reset_stats()
        started = time.monotonic()
        with ThreadPoolExecutor(max_workers=1) as runner:
            planning = runner.submit(make_plan, client, FLEET, cache=TreeCache(None), parallelism=PARALLELISM)
            read = 0
            while read < len(FLEET) and not planning.done():
                read = admin.stats()["by_route"].get(VARIABLES, 0)
                time.sleep(0.02)
            all_read_after = time.monotonic() - started
            plan, _ = planning.result()
        routes = admin.stats()["by_route"]
    # The prices read starts after the first Space is read, so it answers PRICES_LATENCY_S later
    # at the earliest: a worker that waited for it could not have read every Space by then.
    assert all_read_after < PRICES_LATENCY_S, f"every Space read {all_read_after:.2f}s after the start"
    assert routes[PRICES] == 1 and routes[VARIABLES] == len(FLEET), routes
    # Spaces read while the prices were in flight are planned all the same, with the prices.
    assert [e.id for e in plan.spaces] == sorted(space.id for space in FLEET)
    assert all(e.action is Action.UPDATE and e.cost.after_usd_per_hour == 0.0 for e in plan.spaces), plan.spaces
