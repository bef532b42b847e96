"""Rate-limit pacing, retries and call counting: every Hub call passes through here.

The Hub counts requests per fixed window and announces what is left in each response
(`RateLimit: "api";r=<remaining>;t=<seconds to reset>`). The pacer keeps an estimate of
the remaining budget, shared by all worker threads, and holds requests back once it is
spent until the window resets, so a plan does not run into 429s it could have avoided.
A 429 or 5xx that still comes is retried with capped exponential backoff and jitter.
"""

from __future__ import annotations

import random
import re
import threading
import time
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TypeVar

from reconciler.errors import TransientHubError, UnreachableHubError

T = TypeVar("T")

_REPO_ROUTE = re.compile(r"^/api/(spaces|models|datasets)/([^/]+)/([^/]+)(/.*)?$")
_SEGMENT_AFTER = {"tree", "commit", "commits", "preupload", "paths-info", "revision", "resolve"}


def route_template(method: str, path: str) -> str:
    """'GET /api/spaces/acme/demo/tree/main' -> 'GET /api/spaces/{id}/tree/{rev}'."""
    match = _REPO_ROUTE.match(path)
    if not match or (match.group(2) in {"hardware", "templates", "semantic-search"} and not match.group(4)):
        return f"{method} {path}"
    kind, rest = match.group(1), match.group(4) or ""
    parts = rest.split("/")[1:] if rest else []
    if parts and parts[0] in _SEGMENT_AFTER and len(parts) > 1:
        parts = [parts[0], "{rev}"]
    suffix = "/" + "/".join(parts) if parts else ""
    return f"{method} /api/{kind}/{{id}}{suffix}"


@dataclass
class CallStats:
    """Requests sent to the Hub, by route template. Retries count: they cost rate limit too."""

    counts: Counter[str] = field(default_factory=Counter)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, method: str, path: str) -> None:
        key = route_template(method, path)
        with self._lock:
            self.counts[key] += 1

    @property
    def total(self) -> int:
        with self._lock:
            return sum(self.counts.values())

    def snapshot(self) -> dict[str, int]:
        with self._lock:
            return dict(sorted(self.counts.items()))


# One item of a RateLimit header (IETF draft httpapi-ratelimit-headers, as the Hub sends it and
# huggingface_hub's parse_ratelimit_headers reads it): `"api";r=<remaining>;t=<seconds to reset>`.
_RATELIMIT_ITEM = re.compile(r'"(?P<bucket>[\w-]+)"\s*;\s*r\s*=\s*(?P<r>\d+)\s*;\s*t\s*=\s*(?P<t>\d+)')
# The Hub's rate-limit buckets (huggingface.co/docs/hub/rate-limits): downloads through resolve
# URLs, the JSON API, and everything else (pages).
API, RESOLVERS, PAGES = "api", "resolvers", "pages"


def bucket_of(path: str) -> str:
    """The bucket a request path counts against: '…/resolve/…' resolvers, every other call (the API,
    git LFS batch, Xet tokens) api. Pages are HTML the reconciler never requests."""
    return RESOLVERS if "/resolve/" in path else API


def ratelimit_items(header: str) -> dict[str, tuple[int, int]]:
    """{bucket: (remaining, seconds to reset)} of a RateLimit header (one item or several)."""
    return {m.group("bucket"): (int(m.group("r")), int(m.group("t"))) for m in _RATELIMIT_ITEM.finditer(header)}


@dataclass
class _Window:
    remaining: int | None = None  # None: unknown (no window seen yet, or it reset)
    reset_at: float = 0.0


class Pacer:
    """Shared rate-limit budgets, one per bucket. Thread-safe; `clock`/`sleep` injectable for tests.

    A response only moves the bucket its RateLimit header names, so a resolvers window never
    touches the api one. A 429 empties its bucket only when the header says nothing is left
    (r=0); a 429 with r>0 is a per-action limit (commits, repo creation): the bucket still has
    budget, so only the refused call waits (its retry), not every worker.
    """

    def __init__(
        self,
        reserve: int = 8,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        # Requests other threads may have sent but whose answers are not counted yet.
        self.reserve = reserve
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._windows: dict[str, _Window] = {}
        self.waited_s = 0.0

    def before_request(self, path: str = "/api/") -> None:
        bucket = bucket_of(path)
        while True:
            with self._lock:
                window = self._windows.setdefault(bucket, _Window())
                now = self._clock()
                if window.remaining is not None and now >= window.reset_at:
                    window.remaining = None
                if window.remaining is None or window.remaining > 0:
                    if window.remaining is not None:
                        window.remaining -= 1
                    return
                delay = window.reset_at - now + 0.05
            self.waited_s += delay
            self._sleep(delay)

    def window(self, bucket: str = API) -> tuple[int | None, float]:
        """(requests the estimate says are left, seconds until the window resets) of `bucket`;
        None left while no RateLimit header has been seen in this window."""
        with self._lock:
            window = self._windows.get(bucket)
            now = self._clock()
            if window is None or window.remaining is None or now >= window.reset_at:
                return None, 0.0
            return window.remaining, window.reset_at - now

    def after_response(self, headers: Mapping[str, str], status: int) -> None:
        items = ratelimit_items(headers.get("ratelimit", ""))
        with self._lock:
            now = self._clock()
            for bucket, (remaining, reset_in) in items.items():
                window = self._windows.setdefault(bucket, _Window())
                estimate = max(0, remaining - self.reserve)
                if window.remaining is None or now >= window.reset_at:
                    window.remaining = estimate
                else:
                    window.remaining = min(window.remaining, estimate)
                window.reset_at = now + reset_in


@dataclass(frozen=True)
class RetryPolicy:
    """Our one retry layer. `attempts` for transient Hub answers; an unreachable endpoint gets
    `unreachable_attempts` quick tries (nothing answers: waiting longer rarely helps)."""

    attempts: int = 6
    base_s: float = 0.5
    cap_s: float = 20.0
    unreachable_attempts: int = 3

    def limit(self, problem: Exception) -> int:
        return self.unreachable_attempts if isinstance(problem, UnreachableHubError) else self.attempts

    def delay(self, attempt: int, hint_s: float | None) -> float:
        if hint_s is not None:
            return hint_s + random.uniform(0, 0.25)
        return float(min(self.cap_s, self.base_s * 2**attempt) * random.uniform(0.5, 1.0))


def with_retries(
    call: Callable[[], T],
    *,
    policy: RetryPolicy,
    translate: Callable[[Exception], Exception],
    already_done: Callable[[], bool] | None = None,
    on_retry: Callable[[int, int, float, Exception], None] | None = None,
    retryable: Callable[[Exception], bool] | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> T | None:
    """Run `call`, retrying transient failures.

    For writes, `already_done` is checked before each retry: a response lost after the Hub
    applied the write must not be applied twice. When it returns True, the result is None.
    `retryable` narrows which transient failures are retried here (calls the client already
    retried itself). `on_retry(attempt, limit, delay, problem)` runs once per retry.
    """
    attempt = 0
    while True:
        try:
            return call()
        except Exception as raw:
            problem = translate(raw)
            limit = policy.limit(problem)
            if (
                not isinstance(problem, TransientHubError)
                or (retryable is not None and not retryable(problem))
                or attempt + 1 >= limit
            ):
                raise problem from raw
            delay = policy.delay(attempt, problem.retry_after)
            attempt += 1
            if on_retry is not None:
                on_retry(attempt + 1, limit, delay, problem)
            sleep(delay)
            if already_done is not None and already_done():
                return None
