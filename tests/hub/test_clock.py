"""The Hub's clock as its Date headers state it (hub/clock.py), with fake clocks; and the
same estimate taken from a live local Hub whose clock is off this machine's."""

from __future__ import annotations

from email.utils import formatdate
from pathlib import Path

from huggingface_hub import HfApi

from reconciler.hub.client import HubClient
from reconciler.hub.clock import HubClock
from reconciler.localhub import LocalHub

HUB_T0 = 1_800_000_000.0  # the Hub's time when the first response is stamped


class Ticking:
    def __init__(self, start: float) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now


def test_the_estimate_follows_the_hub_not_this_machines_wall_clock() -> None:
    monotonic, wall = Ticking(50.0), Ticking(HUB_T0 - 600)  # this machine's clock: ten minutes slow
    clock = HubClock(monotonic=monotonic, wall=wall)
    clock.observe(formatdate(HUB_T0, usegmt=True))
    monotonic.now += 30
    wall.now += 5000  # a jump of the wall clock changes nothing
    assert clock.now() == HUB_T0 + 30


def test_the_largest_lower_bound_wins() -> None:
    # A Date is stamped before the response arrives and truncated to the second: each one is a
    # lower bound of the Hub's time at arrival, the latest-looking the closest.
    monotonic = Ticking(0.9)
    clock = HubClock(monotonic=monotonic, wall=Ticking(0.0))
    clock.observe(formatdate(HUB_T0, usegmt=True))  # truncated: the Hub was at T0 + 0.9 or so
    monotonic.now = 2.1
    clock.observe(formatdate(HUB_T0 + 2, usegmt=True))  # a tighter bound: it replaces the first
    monotonic.now = 4.0
    clock.observe(formatdate(HUB_T0 + 3, usegmt=True))  # a second of travel: a looser bound, kept out
    assert abs(clock.now() - (HUB_T0 + 3.9)) < 1e-6


def test_without_a_date_the_runners_clock_is_all_there_is() -> None:
    clock = HubClock(monotonic=Ticking(7.0), wall=Ticking(123.0))
    for header in (None, "", "not a date"):
        clock.observe(header)
    assert not clock.known and clock.now() == 123.0


def test_the_client_reads_the_local_hubs_skewed_clock(tmp_path: Path) -> None:
    with LocalHub(tmp_path / "hub", clock_offset_s=-900) as hub, HubClient(hub.endpoint, hub.token) as client:
        client.read(lambda: client._api.whoami())
        assert client.clock.known
        hub_now = hub.store.clock.now()
        assert hub_now - 2 <= client.clock.now() <= hub_now
        # The Hub dates what it stores with the same clock.
        api = HfApi(endpoint=hub.endpoint, token=hub.token)
        api.create_repo("local/dated", repo_type="space", space_sdk="docker")
        api.add_space_variable("local/dated", "MODE", "x")
        dated = api.get_space_variables("local/dated")["MODE"].updated_at
        assert dated is not None and abs(dated.timestamp() - hub.store.clock.now()) < 5
