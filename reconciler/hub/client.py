"""The Hub connection: HfApi built once per client, with its own pacing and call counting on every request.

Only this package imports huggingface_hub. Every call goes through `HubClient.call`, which
retries transient failures and translates exceptions into our error kinds.
"""

from __future__ import annotations

import logging
import os
import threading
import weakref
from collections.abc import Callable
from contextvars import ContextVar
from typing import TypeVar, cast

import httpx2
from huggingface_hub import HfApi, constants, get_token
from huggingface_hub.utils import _http as hf_http
from huggingface_hub.utils.tqdm import disable_progress_bars

from reconciler.errors import UnreachableHubError
from reconciler.hub.clock import HubClock
from reconciler.hub.errors import EndpointUnreachable, translate
from reconciler.hub.mallocconfig import bound_arenas
from reconciler.hub.pacing import CallStats, Pacer, RetryPolicy, with_retries
from reconciler.hub.xetconfig import bound_upload_memory

T = TypeVar("T")

# huggingface_hub sends every request through one process-wide httpx client (utils/_http.py
# get_session), so the hooks are installed once, while any HubClient is open, and each request
# is handed to the client it belongs to: the one whose `call` is running on this thread, else
# the newest open client whose endpoint the URL is under (requests huggingface_hub makes from
# its own worker threads, e.g. LFS uploads). Each client keeps its own pacing and counts.
# Weak references: a client dropped without close() does not stay in the list.
_open: list[weakref.ref[HubClient]] = []
_open_lock = threading.Lock()
_calling: ContextVar[HubClient | None] = ContextVar("reconciler_hub_client", default=None)


def _owner(url: str) -> HubClient | None:
    current = _calling.get()
    if current is not None and current.owns(url):
        return current
    with _open_lock:
        clients = (ref() for ref in reversed(_open))
        return next((client for client in clients if client is not None and client.owns(url)), None)


def _on_request(request: httpx2.Request) -> None:
    client = _owner(str(request.url))
    if client is not None:
        client.stats.record(request.method, request.url.path)
        client.pacer.before_request(request.url.path)


def _on_response(response: httpx2.Response) -> None:
    client = _owner(str(response.request.url))
    if client is not None:
        client.pacer.after_response(response.headers, response.status_code)
        client.clock.observe(response.headers.get("date"))


def _opened(client: HubClient) -> None:
    with _open_lock:
        _open[:] = [ref for ref in _open if ref() is not None]
        if not _open:
            hf_http.set_client_factory(_client_factory)
        _open.append(weakref.ref(client))


def _closed(client: HubClient) -> None:
    with _open_lock:
        was_open = any(ref() is client for ref in _open)
        _open[:] = [ref for ref in _open if ref() is not None and ref() is not client]
        if was_open and not _open:
            hf_http.set_client_factory(hf_http.default_client_factory)


class _Transport(httpx2.HTTPTransport):
    """A refused or failed connection surfaces as EndpointUnreachable (see hub.errors), so the
    client does not retry it for 23 s on its own before our retry layer sees it."""

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        try:
            return super().handle_request(request)
        except (httpx2.ConnectError, httpx2.ConnectTimeout) as failed:
            endpoint = f"{request.url.scheme}://{request.url.netloc.decode()}"
            raise EndpointUnreachable(endpoint, _reason(failed)) from failed


def _reason(failed: Exception) -> str:
    text = str(failed).lower()
    if "refused" in text:
        return "connection refused"
    if isinstance(failed, httpx2.ConnectTimeout):
        return "connection timed out"
    return type(failed).__name__


def _client_factory() -> httpx2.Client:
    return httpx2.Client(
        event_hooks={"request": [hf_http.hf_request_event_hook, _on_request], "response": [_on_response]},
        follow_redirects=True,
        timeout=httpx2.Timeout(60.0, connect=10.0),
        transport=_Transport(),
    )


def _only_unreachable(problem: Exception) -> bool:
    return isinstance(problem, UnreachableHubError)


def _quiet_progress_bars() -> None:
    """No upload or download bars from huggingface_hub and hf_xet (process-wide: its state is global).

    The client draws them whenever its bar is not disabled, terminal or not: in a CI log a 12 MB
    commit of five LFS files wrote hundreds of redrawn lines (tests/e2e/test_binary_files.py).
    HF_HUB_DISABLE_PROGRESS_BARS, when the user set it either way, wins (utils/tqdm.py)."""
    if constants.HF_HUB_DISABLE_PROGRESS_BARS is None:
        disable_progress_bars()


class HubClient:
    """One Hub endpoint and token. `stats` counts requests by route; `pacer` spends the rate limit;
    `clock` is the Hub's time as its responses state it (hub/clock.py)."""

    def __init__(
        self,
        endpoint: str | None = None,
        token: str | None = None,
        *,
        parallelism: int = 8,
        retry: RetryPolicy | None = None,
        sleep: Callable[[float], None] | None = None,
        notify: Callable[[str], None] | None = None,
        progress_bars: bool = False,
    ) -> None:
        self.endpoint = (endpoint or constants.ENDPOINT).rstrip("/")
        # Read by this package's modules only (tests/hub/test_private_api.py checks no other does).
        self._api = HfApi(endpoint=self.endpoint, token=token)
        self.stats = CallStats()
        self.pacer = Pacer(reserve=parallelism)
        self.clock = HubClock()
        self.parallelism = parallelism
        self.retry = retry or RetryPolicy()
        self._sleep = sleep
        # One line per retry, from our retry layer only (the CLI passes stderr).
        self._notify = notify
        # An unreachable endpoint fails every call in flight at once (a listing and the hardware
        # prices are read side by side): its retries are told once per attempt, not once per call.
        self._told: set[tuple[int, str]] = set()
        self._told_lock = threading.Lock()
        # The Hub refuses overlapping repo creations by one user (409 "another conflicting
        # operation is in progress"; huggingface_hub's create_repo then re-POSTs in a tight
        # loop): creations are made one at a time.
        self.create_lock = threading.Lock()
        # (space id or "", what failed) per retry, for attempt counts in results.
        self.retries: list[tuple[str, str]] = []
        # The client's own http_backoff logs two warnings per retry it makes; ours says it once.
        logging.getLogger("huggingface_hub.utils._http").setLevel(logging.ERROR)
        # Before the client's Xet session exists: hf_xet reads its settings when it starts one.
        bound_upload_memory(os.environ)
        bound_arenas(os.environ)  # and before its threads exist: they make their arenas on start
        if not progress_bars:
            _quiet_progress_bars()
        _opened(self)

    @property
    def has_token(self) -> bool:
        """Whether calls carry credentials (HF_TOKEN, a saved login, or the token given here)."""
        return bool(self._api.token) or get_token() is not None

    @property
    def token(self) -> str | None:
        """The token given here or else the saved one, for clients the Hub adapter builds itself."""
        return self._api.token if isinstance(self._api.token, str) else get_token()

    def owns(self, url: str) -> bool:
        return url == self.endpoint or url.startswith(self.endpoint + "/")

    def close(self) -> None:
        _closed(self)

    def __enter__(self) -> HubClient:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def call(
        self,
        fn: Callable[[], T],
        *,
        space_id: str | None = None,
        already_done: Callable[[], bool] | None = None,
        paginated: bool = False,
    ) -> T | None:
        """Run one Hub call with retries. Writes pass `already_done` (see pacing.with_retries).

        `paginated`: fn walks a paginated listing, whose every page huggingface_hub already
        retries (http_backoff: 5 retries on 408/429/5xx and network errors, honouring
        RateLimit, utils/_pagination.py). Retrying those again here would multiply the
        attempts; only an unreachable endpoint (which the client no longer retries) is retried.
        """

        def note_retry(attempt: int, limit: int, delay: float, problem: Exception) -> None:
            self.retries.append((space_id or "", str(problem)))
            if self._notify is None:
                return
            if isinstance(problem, UnreachableHubError):
                with self._told_lock:
                    if (attempt, str(problem)) in self._told:
                        return
                    self._told.add((attempt, str(problem)))
            self._notify(f"retrying (attempt {attempt} of {limit}) in {delay:.1f}s: {problem}")

        kwargs = {"sleep": self._sleep} if self._sleep else {}
        # Requests made on this thread until the call returns (its retries and `already_done`
        # checks included) are this client's, whatever other client shares the endpoint.
        calling = _calling.set(self)
        try:
            return with_retries(
                fn,
                policy=self.retry,
                translate=lambda error: translate(error, space_id),
                already_done=already_done,
                on_retry=note_retry,
                retryable=_only_unreachable if paginated else None,
                **kwargs,
            )
        finally:
            _calling.reset(calling)

    def read(self, fn: Callable[[], T], *, space_id: str | None = None, paginated: bool = False) -> T:
        """A call without `already_done`: with_retries returns fn's own result."""
        return cast(T, self.call(fn, space_id=space_id, paginated=paginated))
