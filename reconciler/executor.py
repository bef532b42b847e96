"""Runs one Space's steps (reconciler/steps.py) in order and keeps the record of what reached the Hub.

The executor only dispatches: each step's handler lives with what it is about (settings_apply,
commit, hotreload, waiting, verify.step, rollback) and writes into the run's record (reconciler/runstate.py).
The first failing step stops the list; a Rollback step after it still runs when the failure is
one the previous files can fix. `run(until=...)` stops before a step kind and a later `run()`
resumes there: a gate serving many Spaces can release the worker after the writes and resume it
at WaitHealthy once its verdict is known. Across apply runs nothing is remembered: apply plans
from a fresh observation, so a second run takes only the steps still needed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from reconciler import commit, hotreload, rollback, settings_apply, waiting
from reconciler.errors import ConflictError, HubError, ReconcileError
from reconciler.gate import HealthGate
from reconciler.model import Rollback, Step, WaitHealthy
from reconciler.results import Failure, SpaceFailed
from reconciler.runstate import RunState
from reconciler.verify import step as verify

Handler = Callable[[RunState, Any], None]

HANDLERS: dict[str, Handler] = {
    "check-secrets": settings_apply.check_secrets,
    "check-files": commit.check_files,
    "create": settings_apply.create,
    "delete": settings_apply.delete,
    "set-hardware": settings_apply.set_hardware,
    "set-sleep-time": settings_apply.set_sleep_time,
    "set-variables": settings_apply.set_variables,
    "set-secrets": settings_apply.set_secrets,
    "set-volumes": settings_apply.set_volumes,
    "set-visibility": settings_apply.set_visibility,
    "set-dev-mode": settings_apply.set_dev_mode,
    "commit": commit.commit,
    "verify-hot-reload": hotreload.verify_hot_reload,
    "pause": settings_apply.pause,
    "resume": settings_apply.resume,
    "verify": verify.verify,
}


class Executor:
    def __init__(self, state: RunState, gate: HealthGate, steps: Sequence[Step]) -> None:
        self.state, self.gate, self.steps = state, gate, tuple(steps)
        self.position = 0  # the next step to run

    @property
    def done(self) -> bool:
        return self.position >= len(self.steps)

    @property
    def next_step(self) -> Step | None:
        return None if self.done else self.steps[self.position]

    def run(self, until: type | tuple[type, ...] = ()) -> bool:
        """Run from where the last call stopped; stop before a later step of a kind in `until`.
        True once every step has run or a failure ended the list (`state.failure` says which)."""
        started = self.position
        while not self.done:
            step = self.steps[self.position]
            if until and isinstance(step, until) and self.position != started and self.state.failure is None:
                return False
            self.position += 1
            if isinstance(step, Rollback):
                reason = rollback.applies(self.state)
                if reason is not None:
                    rollback.roll_back(self.state, reason, self._wait_again)
                continue
            if self.state.failure is not None:
                continue  # only a Rollback runs after a failure
            try:
                self._handle(step)
            except SpaceFailed as failure:
                self.state.failure = failure
            except ConflictError as problem:
                self.state.failure = SpaceFailed(
                    f"{self.state.space_id} changed since it was observed; nothing more was written. {problem}",
                    Failure.CONFLICT,
                )
            except (HubError, ReconcileError) as problem:
                self.state.failure = SpaceFailed(str(problem), Failure.HUB)
        for cleanup in self.state.cleanups:
            cleanup()
        return True

    def _handle(self, step: Step) -> None:
        if isinstance(step, WaitHealthy):
            waiting.wait_healthy(self.state, self.gate, step)
        else:
            HANDLERS[step.kind](self.state, step)

    def _wait_again(self, state: RunState) -> None:
        """The health gate on the rolled-back files, judged against the failed version's stage."""
        waiting.wait_healthy(state, self.gate, WaitHealthy(), before=state.failure.stage if state.failure else None)
