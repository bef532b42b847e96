"""Verify one live Space: RUNNING, then logs.expect, endpoints, smoke calls, logs.forbid.

The whole verification shares one deadline (spec.verify.timeout); each smoke call also has
its own. Every text that reaches an outcome passes through `redact` first: an app's log or
exception may echo one of its secrets. `Session` runs one check at a time, so apply can run
each as its own step after the health gate (reconciler/verify/step.py); `verify_space` runs them
all, as `reconcile verify` does.
"""

from __future__ import annotations

import dataclasses
import tempfile
import time
from collections.abc import Callable, Iterable
from typing import Any, Protocol

from reconciler.model import SENSITIVE, DesiredSpace, SmokeCall, VerifySpec
from reconciler.verify import expect, logs
from reconciler.verify.api import Api, ApiUnreachable, CallFailed, CallTimedOut, Connect
from reconciler.verify.outcomes import Check, CheckResult, Evidence, Problem, SpaceVerification, Status

LOG_POLL_S = 2.0
STARTING = frozenset({"BUILDING", "APP_STARTING", "RUNNING_BUILDING", "RUNNING_APP_STARTING"})


class Live(Protocol):
    def space(self, space_id: str) -> Any: ...  # .stage, .host
    def run_log(self, space_id: str) -> list[str]: ...


class Redactor:
    """Replaces every known secret value with "(sensitive)" (longest first)."""

    def __init__(self, values: Iterable[str]) -> None:
        self.values = sorted({v for v in values if v and len(v) >= 4}, key=len, reverse=True)

    def __call__(self, text: str) -> str:
        for value in self.values:
            text = text.replace(value, SENSITIVE)
        return text


def verify_space(
    desired: DesiredSpace,
    live: Live,
    connect: Connect,
    redact: Redactor,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> SpaceVerification:
    spec = desired.verify or VerifySpec()
    session = Session(desired.id, spec, live, connect, redact, clock, sleep)
    running = session.running()
    if running.status is not Status.PASSED:
        return SpaceVerification(desired.id, (running,))
    results = [running]
    try:
        results += session.expect_logs()
        if spec.endpoints or spec.smoke:
            results += session.endpoints()
            for call in spec.smoke:
                results += session.smoke(call)
        results += session.forbid_logs()
    finally:
        session.close()
    return SpaceVerification(desired.id, tuple(results))


class Session:
    """The checks of one Space's verification, one call each; they share the deadline (it starts
    when the session is made) and one API connection, opened at the first check that needs it."""

    def __init__(
        self,
        space_id: str,
        spec: VerifySpec,
        live: Live,
        connect: Connect,
        redact: Redactor,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.id, self.spec, self.live, self.connect, self.redact = space_id, spec, live, connect, redact
        self.clock, self.sleep, self.deadline = clock, sleep, clock() + spec.timeout_s
        self.host: str | None = None  # None: read from the Hub when the API is first needed
        self._api: Api | None = None
        self._unreachable: CheckResult | None = None  # reported once; later API checks add nothing
        self._unreachable_reported = False
        self._folder: tempfile.TemporaryDirectory[str] | None = None

    def running(self) -> CheckResult:
        """RUNNING, once the stages of a start or rebuild are over (waited for within the
        deadline, as huggingface_hub's wait_for_space waits them out); the host is kept."""
        state = self.live.space(self.id)
        while state.stage in STARTING and self.clock() < self.deadline:
            self.sleep(min(LOG_POLL_S, max(0.0, self.deadline - self.clock())))
            state = self.live.space(self.id)
        if state.stage != "RUNNING":
            evidence = Evidence(stage=state.stage)
            return CheckResult(Check.RUNNING, Status.FAILED, str(state.stage), Problem.NOT_RUNNING, evidence)
        self.host = state.host
        return CheckResult(Check.RUNNING, Status.PASSED, "RUNNING")

    def _lines(self) -> list[str]:
        return [self.redact(line) for line in logs.since_boot(self.live.run_log(self.id))]

    def expect_logs(self) -> list[CheckResult]:
        if not self.spec.expect:
            return []
        started = self.clock()
        waiting = list(self.spec.expect)
        while True:
            waiting = logs.unseen(waiting, self._lines())
            if not waiting or self.clock() >= self.deadline:
                break
            self.sleep(min(LOG_POLL_S, max(0.0, self.deadline - self.clock())))
        took = self.clock() - started
        return [
            CheckResult(Check.LOGS_EXPECT, Status.FAILED, p, Problem.LOG_NOT_SEEN, seconds=took)
            if p in waiting
            else CheckResult(Check.LOGS_EXPECT, Status.PASSED, p, seconds=took)
            for p in self.spec.expect
        ]

    def forbid_logs(self) -> list[CheckResult]:
        if not self.spec.forbid:
            return []
        lines = self._lines()
        results = []
        for pattern in self.spec.forbid:
            matched = logs.forbidden(pattern, lines)
            if matched:
                evidence = Evidence(lines=tuple(matched))
                results.append(CheckResult(Check.LOGS_FORBID, Status.FAILED, pattern, Problem.LOG_MATCHED, evidence))
            else:
                results.append(CheckResult(Check.LOGS_FORBID, Status.PASSED, pattern))
        return results

    def _open(self) -> Api | None:
        """The API connection, or None once it could not be made (its failure was reported)."""
        if self._api is not None or self._unreachable is not None:
            return self._api
        try:
            host = self.host if self.host is not None else self.live.space(self.id).host
            if host is None:
                raise LookupError("the Hub names no host for this Space")
            self._folder = tempfile.TemporaryDirectory(prefix="reconcile-verify-")
            self._api = self.connect(host, self._folder.name)
        except (LookupError, ApiUnreachable) as problem:
            self._fail_unreachable(str(problem) or type(problem).__name__)
        return self._api

    def _fail_unreachable(self, text: str) -> None:
        evidence = Evidence(exception=self.redact(text))
        self._unreachable = CheckResult(Check.ENDPOINTS, Status.FAILED, "", Problem.API_UNREACHABLE, evidence)

    def endpoints(self) -> list[CheckResult]:
        """The API's endpoint list, checked against spec.verify.endpoints (when it names any)."""
        api = self._open()
        if api is None:
            return self._once()
        try:
            available = api.endpoints()
        except ApiUnreachable as problem:
            self._fail_unreachable(str(problem))
            return self._once()
        if not self.spec.endpoints:
            return []
        missing = tuple(name for name in self.spec.endpoints if name not in available)
        target = ", ".join(self.spec.endpoints)
        if missing:
            evidence = Evidence(missing=missing, available=tuple(available))
            return [CheckResult(Check.ENDPOINTS, Status.FAILED, target, Problem.ENDPOINTS_MISSING, evidence)]
        return [CheckResult(Check.ENDPOINTS, Status.PASSED, target, evidence=Evidence(available=tuple(available)))]

    def smoke(self, call: SmokeCall) -> list[CheckResult]:
        api = self._open()
        return self._once() if api is None else [self._smoke(api, call)]

    def _once(self) -> list[CheckResult]:
        if self._unreachable is None or self._unreachable_reported:
            return []
        self._unreachable_reported = True
        return [self._unreachable]

    def _smoke(self, api: Api, call: SmokeCall) -> CheckResult:
        described = expect.describe(call.expect)
        args = list(call.args) if isinstance(call.args, tuple) else dict(call.args)
        base: dict[str, Any] = {"check": Check.SMOKE, "target": call.api, "expect": described, "args": args}
        remaining = self.deadline - self.clock()
        if remaining <= 0:
            return CheckResult(status=Status.FAILED, problem=Problem.DEADLINE, **base)
        started = self.clock()
        try:
            output = api.call(call.api, call.args, min(call.timeout_s, remaining))
        except CallTimedOut:
            took = self.clock() - started
            return CheckResult(status=Status.FAILED, problem=Problem.CALL_TIMED_OUT, seconds=took, **base)
        except CallFailed as raised:
            evidence = Evidence(exception=self.redact(str(raised)))
            took = self.clock() - started
            return CheckResult(
                status=Status.FAILED, problem=Problem.CALL_RAISED, evidence=evidence, seconds=took, **base
            )
        took = self.clock() - started
        found, judged = expect.judge(call.expect, output)
        if judged.preview is not None:
            judged = dataclasses.replace(judged, preview=self.redact(judged.preview))
        status = Status.PASSED if found is None else Status.FAILED
        return CheckResult(status=status, problem=found, evidence=judged, seconds=took, **base)

    def close(self) -> None:
        if self._api is not None:
            self._api.close()
            self._api = None
        if self._folder is not None:
            self._folder.cleanup()
            self._folder = None
