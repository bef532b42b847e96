"""What apply reports per Space, and the options it runs with. Every decision is a value here;
reconciler/render/apply_words.py words them."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from reconciler.errors import ReconcileError
from reconciler.health import Stage
from reconciler.model import Frozen, Rung
from reconciler.verify.outcomes import CheckResult


class Outcome(str, enum.Enum):
    APPLIED = "applied"
    # Written and committed, but the Space showed no restart within the grace period: nothing
    # is known yet about the new version's health.
    COMMITTED = "committed"
    UNCHANGED = "unchanged"
    FAILED = "failed"
    # The new version runs but a check of spec.verify failed (evidence in `verification`).
    VERIFY_FAILED = "verify-failed"
    # The new version failed (`rollback_reason`); the previous files were committed back and run.
    ROLLED_BACK = "rolled-back"
    SKIPPED = "skipped"

    @property
    def failing(self) -> bool:
        """The manifests' version does not run: apply exits 1."""
        return self in FAILING


FAILING = frozenset({Outcome.FAILED, Outcome.VERIFY_FAILED, Outcome.ROLLED_BACK})


class Failure(str, enum.Enum):
    """Why a Space's apply stopped."""

    SECRET_UNAVAILABLE = "secret-unavailable"  # nothing was written
    FILES_CHANGED = "files-changed"  # the local files are not those reviewed; nothing was written
    BUILD_ERROR = "build-error"  # BUILD_ERROR or CONFIG_ERROR after the change
    RUNTIME_ERROR = "runtime-error"  # RUNTIME_ERROR (or no app file) after the change
    NOT_HEALTHY_IN_TIME = "not-healthy-in-time"  # started, no verdict before --timeout
    VERIFY_FAILED = "verify-failed"  # RUNNING, but a check of spec.verify failed
    CONFLICT = "conflict"  # the Space changed on the Hub since it was observed
    HUB = "hub"  # a Hub call failed


class RollbackReason(str, enum.Enum):
    """The failures --rollback-on-failure answers by committing the previous files back."""

    BUILD_ERROR = "build-error"
    RUNTIME_ERROR = "runtime-error"
    VERIFY_FAILED = "verify-failed"
    NOT_HEALTHY_IN_TIME = "not-healthy-in-time"

    @classmethod
    def of(cls, failure: Failure) -> RollbackReason | None:
        return _ROLLBACK.get(failure)


_ROLLBACK = {
    Failure.BUILD_ERROR: RollbackReason.BUILD_ERROR,
    Failure.RUNTIME_ERROR: RollbackReason.RUNTIME_ERROR,
    Failure.VERIFY_FAILED: RollbackReason.VERIFY_FAILED,
    Failure.NOT_HEALTHY_IN_TIME: RollbackReason.NOT_HEALTHY_IN_TIME,
}


class WriteKind(str, enum.Enum):
    CREATE = "create"
    DELETE = "delete"
    HARDWARE = "hardware"
    SLEEP_TIME = "sleepTime"
    VARIABLE_SET = "variable-set"  # subject: the name (values are not recorded)
    VARIABLE_DELETE = "variable-delete"
    SECRET_SET = "secret-set"  # subject: the name, never the value
    SECRET_DELETE = "secret-delete"
    VOLUMES = "volumes"
    VISIBILITY = "visibility"  # subject: the new visibility
    DEV_MODE = "devMode"
    COMMIT = "commit"  # subject: the commit sha
    RESTART = "restart"  # the fallback of a hot reload that was not confirmed
    PAUSE = "pause"
    RESUME = "resume"
    ROLLBACK_COMMIT = "rollback-commit"  # subject: the commit sha


class Write(Frozen):
    """One write that reached the Hub, in the order made."""

    kind: WriteKind
    subject: str | None = None


class SpaceResult(Frozen):
    """What apply did to one Space. `written` lists the writes that reached the Hub, so a
    failure never leaves a Space half-changed without saying so. `message` is the detail of a
    failure (the Hub's error text, the stage), never advice: renderers choose that from the types."""

    id: str
    rung: Rung
    outcome: Outcome
    message: str = ""
    failure: Failure | None = None
    rollback_reason: RollbackReason | None = None
    commit: str | None = None
    stage: Stage | None = None
    attempts: int = 1
    written: tuple[Write, ...] = ()
    log_tail: tuple[str, ...] = ()
    # The checks of spec.verify apply ran, in order, with their evidence (secret values removed).
    verification: tuple[CheckResult, ...] = ()


@dataclass(frozen=True)
class ApplyOptions:
    wait: bool = True
    timeout_s: float = 900.0
    poll_s: float = 2.0
    grace_s: float = 60.0  # how long a Space may show no restart after a commit or restart
    rollback_on_failure: bool = False
    parallelism: int = 8
    plan_label: str = "plan"
    # How long a rebuild and an app start are expected to take: the health gate's intervals grow
    # towards a tenth of them (a Hub whose builds are faster, like a local one, passes its own).
    rebuild_s: float = 120.0
    restart_s: float = 30.0


class SpaceFailed(ReconcileError):
    def __init__(
        self,
        message: str,
        failure: Failure,
        log_tail: tuple[str, ...] = (),
        stage: Stage | None = None,
    ) -> None:
        super().__init__(message)
        self.failure = failure
        self.log_tail = log_tail
        self.stage = stage
