"""What verification found, as values. Renderers turn these into text; nothing here is prose
that another module parses."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any


class Check(str, enum.Enum):
    """The checks, in the order they run."""

    RUNNING = "running"  # the Space is RUNNING (verification needs a live app)
    LOGS_EXPECT = "logs.expect"
    ENDPOINTS = "endpoints"
    SMOKE = "smoke"
    LOGS_FORBID = "logs.forbid"


class Status(str, enum.Enum):
    PASSED = "passed"
    FAILED = "failed"  # the check ran and the Space does not meet it
    ERROR = "error"  # the check could not run (Hub or network trouble)
    SKIPPED = "skipped"  # an earlier check made this one meaningless (e.g. not RUNNING)


class Problem(str, enum.Enum):
    NOT_RUNNING = "not-running"  # evidence.stage
    LOG_MATCHED = "log-matched"  # evidence.lines: the forbidden lines
    LOG_NOT_SEEN = "log-not-seen"  # an expected pattern never appeared before the timeout
    ENDPOINTS_MISSING = "endpoints-missing"  # evidence.missing, evidence.available
    API_UNREACHABLE = "api-unreachable"  # evidence.exception
    CALL_RAISED = "call-raised"  # evidence.exception: the endpoint's error
    CALL_TIMED_OUT = "call-timed-out"
    WRONG_KIND = "wrong-kind"  # evidence.output_kind (sniffed, or None), evidence.head_hex
    NOT_A_FILE = "not-a-file"  # a kind was expected, the output is no file
    MISMATCH = "mismatch"  # contains / equals / json / type not met; evidence.preview
    DEADLINE = "deadline"  # the whole verification ran out of time before this check
    HUB_ERROR = "hub-error"  # evidence.exception: reading the Space from the Hub failed


@dataclass(frozen=True)
class Evidence:
    """What a failed check shows. Every text here already had secret values removed."""

    stage: str | None = None
    lines: tuple[str, ...] = ()
    missing: tuple[str, ...] = ()
    available: tuple[str, ...] = ()
    exception: str | None = None
    output_kind: str | None = None
    head_hex: str | None = None  # first bytes of a wrong output file
    preview: str | None = None  # the start of a mismatching output


@dataclass(frozen=True)
class CheckResult:
    """One check. `target` is the pattern, api_name or stage it is about; `args` (smoke only)
    may hold user data and is shown only in JSON output."""

    check: Check
    status: Status
    target: str = ""
    problem: Problem | None = None
    evidence: Evidence = field(default_factory=Evidence)
    expect: str | None = None  # "kind image/png", for smoke
    args: Any = None
    seconds: float = 0.0


@dataclass(frozen=True)
class SpaceVerification:
    id: str
    results: tuple[CheckResult, ...]

    @property
    def failed(self) -> bool:
        return any(r.status is Status.FAILED for r in self.results)

    @property
    def errored(self) -> bool:
        return any(r.status is Status.ERROR for r in self.results)

    @property
    def passed(self) -> bool:
        return not self.failed and not self.errored
