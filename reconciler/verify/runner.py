"""Verify one live Space: RUNNING, then logs.expect, endpoints, smoke calls, logs.forbid.

The whole verification shares one deadline (spec.verify.timeout); each smoke call also has
its own. Every text that reaches an outcome passes through `redact` first: an app's log or
exception may echo one of its secrets.
"""

from __future__ import annotations

import dataclasses
import tempfile
import time
from collections.abc import Callable, Iterable, Sequence
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
    run = _Run(desired.id, spec, live, redact, clock, sleep, clock() + spec.timeout_s)
    state = live.space(desired.id)
    # A Space still starting (or rebuilding) is waited for within the timeout, as
    # huggingface_hub's wait_for_space waits out these stages.
    while state.stage in STARTING and clock() < run.deadline:
        sleep(min(LOG_POLL_S, max(0.0, run.deadline - clock())))
        state = live.space(desired.id)
    if state.stage != "RUNNING":
        return run.done(CheckResult(Check.RUNNING, Status.FAILED, str(state.stage), Problem.NOT_RUNNING,
                                    Evidence(stage=state.stage)))  # fmt: skip
    run.add(CheckResult(Check.RUNNING, Status.PASSED, "RUNNING"))
    run.expect_logs()
    if spec.endpoints or spec.smoke:
        with tempfile.TemporaryDirectory(prefix="reconcile-verify-") as folder:
            run.api_checks(state.host, connect, folder)
    run.forbid_logs()
    return run.done()


class _Run:
    def __init__(
        self,
        space_id: str,
        spec: VerifySpec,
        live: Live,
        redact: Redactor,
        clock: Callable[[], float],
        sleep: Callable[[float], None],
        deadline: float,
    ) -> None:
        self.id, self.spec, self.live, self.redact = space_id, spec, live, redact
        self.clock, self.sleep, self.deadline = clock, sleep, deadline
        self.results: list[CheckResult] = []

    def add(self, result: CheckResult) -> None:
        self.results.append(result)

    def done(self, *last: CheckResult) -> SpaceVerification:
        return SpaceVerification(self.id, (*self.results, *last))

    def _lines(self) -> list[str]:
        return [self.redact(line) for line in logs.since_boot(self.live.run_log(self.id))]

    def expect_logs(self) -> None:
        if not self.spec.expect:
            return
        started = self.clock()
        waiting = list(self.spec.expect)
        while True:
            waiting = logs.unseen(waiting, self._lines())
            if not waiting or self.clock() >= self.deadline:
                break
            self.sleep(min(LOG_POLL_S, max(0.0, self.deadline - self.clock())))
        took = self.clock() - started
        for pattern in self.spec.expect:
            if pattern in waiting:
                self.add(CheckResult(Check.LOGS_EXPECT, Status.FAILED, pattern, Problem.LOG_NOT_SEEN, seconds=took))
            else:
                self.add(CheckResult(Check.LOGS_EXPECT, Status.PASSED, pattern, seconds=took))

    def forbid_logs(self) -> None:
        if not self.spec.forbid:
            return
        lines = self._lines()
        for pattern in self.spec.forbid:
            matched = logs.forbidden(pattern, lines)
            if matched:
                evidence = Evidence(lines=tuple(matched))
                self.add(CheckResult(Check.LOGS_FORBID, Status.FAILED, pattern, Problem.LOG_MATCHED, evidence))
            else:
                self.add(CheckResult(Check.LOGS_FORBID, Status.PASSED, pattern))

    def api_checks(self, host: str | None, connect: Connect, folder: str) -> None:
        try:
            if host is None:
                raise LookupError("the Hub names no host for this Space")
            api = connect(host, folder)
        except (LookupError, ApiUnreachable) as problem:
            evidence = Evidence(exception=self.redact(str(problem) or type(problem).__name__))
            failed = CheckResult(Check.ENDPOINTS, Status.FAILED, "", Problem.API_UNREACHABLE, evidence)
            self.add(failed)
            return
        try:
            try:
                available = api.endpoints()
            except ApiUnreachable as problem:
                evidence = Evidence(exception=self.redact(str(problem)))
                self.add(CheckResult(Check.ENDPOINTS, Status.FAILED, "", Problem.API_UNREACHABLE, evidence))
                return
            if self.spec.endpoints:
                self._endpoints(available)
            for call in self.spec.smoke:
                self.add(self._smoke(api, call))
        finally:
            api.close()

    def _endpoints(self, available: Sequence[str]) -> None:
        missing = tuple(name for name in self.spec.endpoints if name not in available)
        target = ", ".join(self.spec.endpoints)
        if missing:
            evidence = Evidence(missing=missing, available=tuple(available))
            self.add(CheckResult(Check.ENDPOINTS, Status.FAILED, target, Problem.ENDPOINTS_MISSING, evidence))
        else:
            self.add(CheckResult(Check.ENDPOINTS, Status.PASSED, target, evidence=Evidence(available=tuple(available))))

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
