"""The fleet health gate's judgement and its listing schedule, on scripted Hub timelines.

Each Space's timeline says what the listing shows from a given (simulated) time on. The gate
runs its own thread; its sleeps move the simulated clock, so nothing here waits for real.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping

import pytest

from reconciler.fleetgate import FleetGate, FleetTally, GateEvent
from reconciler.gate import Timing, Verdict
from reconciler.health import Stage
from reconciler.hub.status import SpaceStatus

OLD, NEW = "a" * 40, "b" * 40
TIMING = Timing(poll_s=1.0, grace_s=30.0, timeout_s=300.0)


def status(sha: str, stage: Stage) -> SpaceStatus:
    return SpaceStatus(sha=sha, stage=stage, runtime_sha=None, error=None, hot_reload=None, replicas=(),
                       host=None, subdomain=None)  # fmt: skip


class ScriptedHub:
    """The listing of one or more namespaces over simulated time; counts the listings."""

    def __init__(self, timelines: Mapping[str, list[tuple[float, SpaceStatus]]]) -> None:
        self.timelines = timelines
        self.now = 0.0
        self.listings: list[tuple[float, str]] = []
        self.sleeps: list[float] = []
        self.lock = threading.Lock()
        self.go = threading.Event()  # cleared: simulated time stands still until every Space is watched
        self.go.set()

    def clock(self) -> float:
        with self.lock:
            return self.now

    def sleep(self, seconds: float) -> None:
        self.go.wait()
        with self.lock:
            self.sleeps.append(seconds)
            self.now += seconds

    def list_statuses(self, namespace: str) -> dict[str, SpaceStatus]:
        with self.lock:
            self.listings.append((self.now, namespace))
            shown = {}
            for space_id, timeline in self.timelines.items():
                if space_id.split("/")[0].lower() == namespace:
                    current = [s for t, s in timeline if t <= self.now]
                    if current:
                        shown[space_id.lower()] = current[-1]
            return shown


def rebuild(at: float, build_s: float, outcome: Stage = Stage.RUNNING) -> list[tuple[float, SpaceStatus]]:
    """Pushed at `at`: the old RUNNING shows with the new sha for 3 s, then BUILDING, then `outcome`."""
    return [(0.0, status(OLD, Stage.RUNNING)), (at, status(NEW, Stage.RUNNING)),
            (at + 3, status(NEW, Stage.BUILDING)), (at + 3 + build_s, status(NEW, outcome))]  # fmt: skip


def gate_for(hub: ScriptedHub, events: list[GateEvent] | None = None) -> FleetGate:
    return FleetGate(hub.list_statuses, TIMING, clock=hub.clock, sleep=hub.sleep,
                     on_event=events.append if events is not None else None)  # fmt: skip


def test_one_listing_per_interval_judges_every_space() -> None:
    spaces = [f"acme/app-{i}" for i in range(50)]
    hub = ScriptedHub({space: rebuild(0.0, 60.0) for space in spaces})
    gate = gate_for(hub)
    hub.go.clear()
    futures = [gate.watch(space, NEW, Stage.RUNNING, expected_s=120.0) for space in spaces]
    hub.go.set()
    results = [future.result(timeout=10) for future in futures]
    assert {r.verdict for r in results} == {Verdict.RUNNING}
    assert all(r.waited_s >= 63.0 for r in results)
    # One listing serves all 50 Spaces: far fewer listings than one read per Space per poll.
    assert len(hub.listings) == gate.listings
    assert len(hub.listings) < 30, hub.listings


def test_the_old_running_with_the_new_sha_is_not_success() -> None:
    # Right after the push the listing shows the new sha and the old RUNNING (hub-contract §13).
    hub = ScriptedHub({"acme/app": rebuild(0.0, 20.0)})
    events: list[GateEvent] = []
    result = gate_for(hub, events).wait("acme/app", NEW, Stage.RUNNING, expected_s=30.0)
    assert result.verdict is Verdict.RUNNING
    assert result.waited_s >= 23.0
    assert Stage.BUILDING in [e.stage for e in events]


def test_a_build_error_after_the_build_started_is_a_failure() -> None:
    hub = ScriptedHub({"acme/broken": rebuild(0.0, 10.0, Stage.BUILD_ERROR), "acme/fine": rebuild(0.0, 10.0)})
    gate = gate_for(hub)
    hub.go.clear()
    broken = gate.watch("acme/broken", NEW, Stage.RUNNING, 30.0)
    fine = gate.watch("acme/fine", NEW, Stage.RUNNING, 30.0)
    hub.go.set()
    assert broken.result(timeout=10).verdict is Verdict.FAILED
    assert fine.result(timeout=10).verdict is Verdict.RUNNING


def test_the_old_runtime_error_is_never_judged() -> None:
    timeline = [(0.0, status(OLD, Stage.RUNTIME_ERROR)), (0.0, status(NEW, Stage.RUNTIME_ERROR)),
                (5.0, status(NEW, Stage.BUILDING)), (20.0, status(NEW, Stage.RUNNING))]  # fmt: skip
    hub = ScriptedHub({"acme/app": timeline})
    result = gate_for(hub).wait("acme/app", NEW, Stage.RUNTIME_ERROR, expected_s=30.0)
    assert result.verdict is Verdict.RUNNING


def test_no_transition_within_the_grace_period_is_not_restarted() -> None:
    hub = ScriptedHub({"acme/app": [(0.0, status(NEW, Stage.RUNNING))]})
    result = gate_for(hub).wait("acme/app", NEW, Stage.RUNNING, expected_s=30.0)
    assert result.verdict is Verdict.NOT_RESTARTED
    assert TIMING.grace_s <= result.waited_s < TIMING.grace_s + 10


def test_the_tally_counts_a_space_not_restarted_apart_from_failures() -> None:
    hub = ScriptedHub({"acme/quiet": [(0.0, status(NEW, Stage.RUNNING))], "acme/a": rebuild(0.0, 10.0)})
    tallies: list[FleetTally] = []
    gate = FleetGate(hub.list_statuses, TIMING, clock=hub.clock, sleep=hub.sleep, on_tally=tallies.append)
    hub.go.clear()
    futures = [gate.watch("acme/quiet", NEW, Stage.RUNNING, 30.0), gate.watch("acme/a", NEW, Stage.RUNNING, 30.0)]
    hub.go.set()
    assert [f.result(timeout=10).verdict for f in futures] == [Verdict.NOT_RESTARTED, Verdict.RUNNING]
    last = tallies[-1]
    assert (last.running, last.failed, last.not_restarted) == (1, 0, 1)


def test_a_build_that_never_ends_times_out() -> None:
    hub = ScriptedHub({"acme/app": [(0.0, status(NEW, Stage.BUILDING))]})
    result = gate_for(hub).wait("acme/app", NEW, Stage.RUNNING, expected_s=120.0)
    assert result.verdict is Verdict.TIMED_OUT
    assert result.status is not None and result.status.stage is Stage.BUILDING


def test_the_interval_grows_to_a_tenth_of_the_expected_duration() -> None:
    hub = ScriptedHub({"acme/slow": rebuild(0.0, 200.0)})
    gate_for(hub).wait("acme/slow", NEW, Stage.RUNNING, expected_s=120.0)
    assert hub.sleeps[0] == TIMING.poll_s
    assert max(hub.sleeps) == pytest.approx(12.0)
    # A restart expected in seconds is read more often than a rebuild expected in minutes.
    quick = ScriptedHub({"acme/quick": rebuild(0.0, 200.0)})
    gate_for(quick).wait("acme/quick", NEW, Stage.RUNNING, expected_s=30.0)
    assert max(quick.sleeps) == pytest.approx(3.0)
    assert len(quick.listings) > len(hub.listings)


def test_each_namespace_is_listed_once_per_interval() -> None:
    hub = ScriptedHub({"acme/a": rebuild(0.0, 10.0), "Other/b": rebuild(0.0, 10.0)})
    gate = gate_for(hub)
    hub.go.clear()
    futures = [gate.watch("acme/a", NEW, Stage.RUNNING, 30.0), gate.watch("Other/b", NEW, Stage.RUNNING, 30.0)]
    hub.go.set()
    assert [f.result(timeout=10).verdict for f in futures] == [Verdict.RUNNING, Verdict.RUNNING]
    times = [t for t, _ in hub.listings]
    assert all(times.count(t) <= 2 for t in times)
    assert {ns for _, ns in hub.listings} == {"acme", "other"}


def test_a_failed_listing_reaches_every_waiter() -> None:
    def refuse(namespace: str) -> dict[str, SpaceStatus]:
        raise RuntimeError("listing refused")

    gate = FleetGate(refuse, TIMING, sleep=lambda _s: None)
    future = gate.watch("acme/app", NEW, Stage.RUNNING, 30.0)
    with pytest.raises(RuntimeError, match="listing refused"):
        future.result(timeout=10)


def test_stage_changes_and_the_tally_are_reported_once_each() -> None:
    hub = ScriptedHub({"acme/a": rebuild(0.0, 10.0), "acme/b": rebuild(0.0, 10.0, Stage.BUILD_ERROR)})
    events: list[GateEvent] = []
    tallies: list[FleetTally] = []
    gate = FleetGate(hub.list_statuses, TIMING, clock=hub.clock, sleep=hub.sleep, on_event=events.append,
                     on_tally=tallies.append)  # fmt: skip
    hub.go.clear()
    futures = [gate.watch("acme/a", NEW, Stage.RUNNING, 30.0), gate.watch("acme/b", NEW, Stage.RUNNING, 30.0)]
    hub.go.set()
    for future in futures:
        future.result(timeout=10)
    a = [(e.stage, e.verdict) for e in events if e.space_id == "acme/a"]
    assert a == [(Stage.RUNNING, None), (Stage.BUILDING, None), (Stage.RUNNING, Verdict.RUNNING)]
    b = [(e.stage, e.verdict) for e in events if e.space_id == "acme/b"]
    assert b[-1] == (Stage.BUILD_ERROR, Verdict.FAILED)
    assert len(tallies) == len(hub.listings)
    # The gate lists as soon as its first Space is watched: the first listing judges b too, or
    # only a when it ran before b's watch was added (a CI run saw that once). Either way
    # nothing builds yet: the new sha still shows the old RUNNING.
    assert tallies[0].building == 0 and tallies[0].waiting in (1, 2), tallies[0]
    assert any(t.building == 2 for t in tallies)
    last = tallies[-1]
    assert (last.building, last.waiting, last.running, last.failed) == (0, 0, 1, 1)
