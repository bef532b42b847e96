"""Apply progress without a terminal: a line per step and per stage change, a fleet line when its counts change."""

from __future__ import annotations

import pytest

from reconciler.fleetgate import FleetLine, FleetTally, GateEvent
from reconciler.gate import Verdict
from reconciler.health import Stage
from reconciler.render.apply_progress import PlainProgress


def test_plain_progress_writes_stage_changes_and_each_new_fleet_count(capsys: pytest.CaptureFixture[str]) -> None:
    with PlainProgress() as progress:
        progress.stage(GateEvent("acme/a", Stage.BUILDING, 4.2, None))
        progress.stage(GateEvent("acme/a", Stage.RUNNING, 61.0, Verdict.RUNNING))
        building = FleetTally(building=3, waiting=1, running=0, failed=0, listings=2)
        progress.fleet(FleetLine(building, calls=812, left_in_window=1688, resets_in_s=240.4))
        progress.fleet(FleetLine(building, calls=814, left_in_window=1686, resets_in_s=236.0))  # same counts
        done = FleetTally(building=0, waiting=0, running=3, failed=1, listings=9)
        progress.fleet(FleetLine(done, calls=830, left_in_window=None, resets_in_s=0.0))
        # A Space that showed no restart within the grace is committed, not failed.
        quiet = FleetTally(building=0, waiting=0, running=3, failed=1, listings=12, not_restarted=1)
        progress.fleet(FleetLine(quiet, calls=850, left_in_window=None, resets_in_s=0.0))
    lines = capsys.readouterr().err.splitlines()
    assert lines == [
        "acme/a: BUILDING (4s)",
        "acme/a: RUNNING -> running (61s)",
        "fleet: 3 building, 1 not started yet, 0 running, 0 failed; 812 Hub calls, "
        "about 1,688 left in the rate-limit window (resets in 240s)",
        "fleet: 0 building, 0 not started yet, 3 running, 1 failed; 830 Hub calls",
        "fleet: 0 building, 0 not started yet, 3 running, 1 failed, 1 not restarted yet; 850 Hub calls",
    ]
