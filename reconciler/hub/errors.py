"""Translate huggingface_hub and transport exceptions into our three error kinds, in one place."""

from __future__ import annotations

import httpx2
from huggingface_hub.errors import (
    HfHubHTTPError,
    LocalTokenNotFoundError,
    RemoteEntryNotFoundError,
    RepositoryNotFoundError,
    RevisionNotFoundError,
)

from reconciler.errors import (
    ConflictError,
    HubError,
    ReconcileError,
    TerminalHubError,
    TransientHubError,
    UnreachableHubError,
    UserError,
)
from reconciler.hub.pacing import ratelimit_items

TRANSIENT_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})


class EndpointUnreachable(httpx2.TransportError):
    """Raised by our transport instead of httpx2.ConnectError. Not a NetworkError, so the
    client's own http_backoff (which retries NetworkError five times over 23 s,
    huggingface_hub/utils/_http.py) lets it through and our one retry layer decides."""

    def __init__(self, endpoint: str, reason: str) -> None:
        super().__init__(f"cannot connect to {endpoint}: {reason}")
        self.endpoint = endpoint
        self.reason = reason


def _retry_after(error: HfHubHTTPError) -> float | None:
    """The wait the Hub asked for. A 429 whose RateLimit bucket is spent (r=0) waits for that
    bucket's reset, as huggingface_hub's http_backoff does; a 429 with budget left in the
    bucket (a per-action limit) waits Retry-After if sent, else backs off (None)."""
    headers = error.response.headers
    if error.response.status_code == 429:
        spent = [reset for remaining, reset in ratelimit_items(headers.get("ratelimit", "")).values() if not remaining]
        if spent:
            return float(max(spent)) + 0.5
    value = headers.get("retry-after", "").strip()
    return float(value) if value.isdigit() else None


def _server_message(error: HfHubHTTPError) -> str:
    return (error.server_message or str(error).splitlines()[0]).strip()


def translate(error: Exception, space_id: str | None = None) -> Exception:
    """Map any exception raised by a Hub call to UserError / TransientHubError / TerminalHubError.

    Messages name the Space and never include request bodies (which may carry secret values).
    """
    where = f"{space_id}: " if space_id else ""
    if isinstance(error, ReconcileError):
        return error
    if isinstance(error, LocalTokenNotFoundError):
        return UserError("no Hugging Face token found: set HF_TOKEN, run `hf auth login`, or use --hub local")
    if isinstance(error, RepositoryNotFoundError):
        return TerminalHubError(
            f"{where}not found on the Hub, or this token cannot see it", status=404, space_id=space_id
        )
    if isinstance(error, (RevisionNotFoundError, RemoteEntryNotFoundError)):
        return TerminalHubError(f"{where}{_server_message(error)}", status=404, space_id=space_id)
    if isinstance(error, HfHubHTTPError):
        status = error.response.status_code
        message = _server_message(error)
        if status in TRANSIENT_STATUSES:
            return TransientHubError(
                f"{where}the Hub answered {status}: {message}",
                status=status,
                space_id=space_id,
                retry_after=_retry_after(error),
            )
        if status == 412:
            return ConflictError(
                f"{where}the Space changed since it was observed (the Hub refused the commit: {message}); "
                "run plan again",
                status=status,
                space_id=space_id,
            )
        if status == 401:
            return TerminalHubError(
                f"{where}the Hub refused the request without valid credentials (401): {message}. Check HF_TOKEN.",
                status=status,
                space_id=space_id,
            )
        if status == 403:
            return TerminalHubError(
                f"{where}permission denied (403): {message}. The token needs write access to this namespace.",
                status=status,
                space_id=space_id,
            )
        return TerminalHubError(f"{where}the Hub answered {status}: {message}", status=status, space_id=space_id)
    if isinstance(error, EndpointUnreachable):
        return UnreachableHubError(
            f"{where}cannot reach the Hub at {error.endpoint} ({error.reason}); check HF_ENDPOINT and the network",
            space_id=space_id,
        )
    if isinstance(error, (httpx2.TransportError, ConnectionError, TimeoutError)):
        return TransientHubError(f"{where}network error talking to the Hub: {type(error).__name__}", space_id=space_id)
    if isinstance(error, ValueError) and "Invalid metadata in README.md" in str(error):
        return TerminalHubError(f"{where}the Hub rejected the README front matter: {error}", space_id=space_id)
    return error


__all__ = ["HubError", "translate"]
