"""The health gate: after a commit or a restart, wait until the Space runs the new version, then judge it.

It judges only what the Hub shows (hub-contract §13): `space_info.sha` must be the new commit
and the Space must have left its pre-change state (a build or start stage seen, or a runtime
sha equal to the commit where the Hub sends one). Only then is RUNNING a success and
BUILD_ERROR / RUNTIME_ERROR a failure; the pre-change state is never judged (the old version's
RUNNING or RUNTIME_ERROR can show for a while after a push). No transition within the grace
period is its own verdict: committed, not restarted yet.

`HealthGate` is the interface apply uses; `PollingGate` polls one Space with a backoff matched
to the expected build time. A fleet-wide gate reading the namespace listing can replace it.
"""

from __future__ import annotations

import enum
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from reconciler.health import Stage
from reconciler.hub.status import SpaceStatus


class Verdict(str, enum.Enum):
    RUNNING = "running"
    FAILED = "failed"
    NOT_RESTARTED = "not-restarted"  # no sign of the new version within the grace period
    TIMED_OUT = "timed-out"  # it started but reached no verdict in time


@dataclass(frozen=True)
class GateResult:
    verdict: Verdict
    status: SpaceStatus | None
    waited_s: float


@dataclass(frozen=True)
class GateRequest:
    """What one wait is about: everything a gate needs, so a fleet-wide gate can collect the
    requests of many Spaces (reconciler.waiting.gate_request) and answer them together."""

    space_id: str
    commit: str | None  # None: a restart of the same commit
    before: Stage | None  # the stage the Space showed before the change
    expected_s: float  # how long the build or start is expected to take (sets the backoff)


class HealthGate(Protocol):
    def wait(self, space_id: str, commit: str | None, before: Stage | None, expected_s: float) -> GateResult:
        """Wait for `commit` (None: a restart of the same commit) to run; `before` is the pre-change stage."""
        ...


@dataclass(frozen=True)
class Timing:
    poll_s: float = 2.0  # the first interval; later ones grow towards expected_s / 10
    grace_s: float = 60.0  # how long the Space may show no transition at all
    timeout_s: float = 900.0


def left_pre_change_state(status: SpaceStatus, commit: str | None, before: Stage | None) -> bool:
    if commit is not None and status.sha != commit:
        return False
    if commit is not None and status.runtime_sha == commit:
        return True
    if before is None:
        # Nothing ran before (a new Space, or a static one serving the commit directly): the
        # sha is the whole transition.
        return commit is not None
    if status.stage is None:
        return False
    return status.stage.starting or status.stage is not before


def judge(status: SpaceStatus, commit: str | None) -> Verdict | None:
    """RUNNING or FAILED once the Space has left its pre-change state; None while it is starting."""
    if status.stage is Stage.RUNNING and (commit is None or status.runtime_sha in (None, commit)):
        return Verdict.RUNNING
    if status.stage is not None and status.stage.failed:
        return Verdict.FAILED
    return None


@dataclass
class PollingGate:
    read: Callable[[str], SpaceStatus]
    timing: Timing = Timing()
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep

    def wait(self, space_id: str, commit: str | None, before: Stage | None, expected_s: float) -> GateResult:
        start = self.clock()
        transitioned = False
        cap = max(self.timing.poll_s, expected_s / 10)
        while True:
            status = self.read(space_id)
            waited = self.clock() - start
            transitioned = transitioned or left_pre_change_state(status, commit, before)
            verdict = judge(status, commit) if transitioned else None
            if verdict is not None:
                return GateResult(verdict, status, waited)
            if not transitioned and waited >= self.timing.grace_s:
                return GateResult(Verdict.NOT_RESTARTED, status, waited)
            if waited >= self.timing.timeout_s:
                return GateResult(Verdict.TIMED_OUT, status, waited)
            self.sleep(min(cap, max(self.timing.poll_s, waited / 4)))
