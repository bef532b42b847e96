"""What apply reports per Space, and the options it runs with."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from reconciler.errors import ReconcileError
from reconciler.health import Stage
from reconciler.model import Frozen, Rung


class Outcome(str, enum.Enum):
    APPLIED = "applied"
    # Written and committed, but the Space showed no restart within the grace period: nothing
    # is known yet about the new version's health.
    COMMITTED = "committed"
    UNCHANGED = "unchanged"
    FAILED = "failed"
    SKIPPED = "skipped"


class SpaceResult(Frozen):
    """What apply did to one Space. `written` lists the writes that reached the Hub, so a
    failure never leaves a Space half-changed without saying so."""

    id: str
    rung: Rung
    outcome: Outcome
    message: str = ""
    commit: str | None = None
    stage: Stage | None = None
    attempts: int = 1
    written: tuple[str, ...] = ()
    log_tail: tuple[str, ...] = ()


@dataclass(frozen=True)
class ApplyOptions:
    wait: bool = True
    timeout_s: float = 900.0
    poll_s: float = 2.0
    grace_s: float = 60.0  # how long a Space may show no restart after a commit or restart
    rollback_on_failure: bool = False
    parallelism: int = 8
    plan_label: str = "plan"


class SpaceFailed(ReconcileError):
    def __init__(self, message: str, log_tail: tuple[str, ...] = (), stage: Stage | None = None) -> None:
        super().__init__(message)
        self.log_tail = log_tail
        self.stage = stage
