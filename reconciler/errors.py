"""Error kinds and diagnostics.

Three kinds of failure, decided where they are raised and never re-guessed later:
- UserError: the user's input or environment is wrong (a manifest, a flag, a missing
  token). Exit 1 with the message; retrying will not help.
- TransientHubError: the Hub may succeed later (429, 5xx, network). Retried by pacing.
- TerminalHubError: the Hub refused for good (403, 404, 412 conflict, 400).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


class Severity(str, enum.Enum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True)
class Location:
    """A position in a manifest file. line and col are 1-based."""

    file: str
    line: int
    col: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.col}"


@dataclass(frozen=True)
class Diagnostic:
    """One finding about the user's input. `rule` is set for lint rules that can be silenced."""

    severity: Severity
    message: str
    location: Location | None = None
    hint: str | None = None
    rule: str | None = None

    def __str__(self) -> str:
        where = f"{self.location}: " if self.location else ""
        text = f"{where}{self.severity.value}: {self.message}"
        if self.rule:
            text += f" [{self.rule}]"
        if self.hint:
            text += f"\n  hint: {self.hint}"
        return text


class ReconcileError(Exception):
    """Base of every error the CLI reports without a traceback."""


class SourceFileRefused(ReconcileError):
    """A local file was not uploaded: it changed since it was planned, or the upload rules forbid it."""


class UserError(ReconcileError):
    """Bad input or configuration. `diagnostics` carries every finding when there are several."""

    def __init__(self, message: str, diagnostics: tuple[Diagnostic, ...] = ()) -> None:
        super().__init__(message)
        self.diagnostics = diagnostics


class HubError(ReconcileError):
    """A Hub call failed. `space_id` names the Space concerned when there is one."""

    def __init__(self, message: str, *, status: int | None = None, space_id: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.space_id = space_id


class TransientHubError(HubError):
    """The Hub may answer differently later (rate limit, server error, network).

    `retry_after` is the wait the Hub asked for, in seconds, when it said.
    """

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        space_id: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message, status=status, space_id=space_id)
        self.retry_after = retry_after


class UnreachableHubError(TransientHubError):
    """No connection to the Hub's endpoint at all (refused, no route, unknown host)."""


class TerminalHubError(HubError):
    """The Hub refused for good (permission, not found, conflict, bad request)."""


class ConflictError(TerminalHubError):
    """The Space changed since it was observed (stale parent commit, stale plan)."""
