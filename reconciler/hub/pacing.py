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

from reconciler.errors import TransientHubError

T = TypeVar("T")

_RATELIMIT = re.compile(r"r=(\d+).*?t=(\d+)")
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


class Pacer:
    """Shared rate-limit budget. Thread-safe; `clock`/`sleep` are injectable for tests."""

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
        self._remaining: int | None = None  # None: unknown (no window seen yet, or it reset)
        self._reset_at = 0.0
        self.waited_s = 0.0

    def before_request(self) -> None:
        while True:
            with self._lock:
                now = self._clock()
                if self._remaining is not None and now >= self._reset_at:
                    self._remaining = None
                if self._remaining is None or self._remaining > 0:
                    if self._remaining is not None:
                        self._remaining -= 1
                    return
                delay = self._reset_at - now + 0.05
            self.waited_s += delay
            self._sleep(delay)

    def after_response(self, headers: Mapping[str, str], status: int) -> None:
        with self._lock:
            match = _RATELIMIT.search(headers.get("ratelimit", ""))
            if not match:
                return
            remaining, reset_in = int(match.group(1)), int(match.group(2))
            if status == 429:
                remaining = 0
            estimate = max(0, remaining - self.reserve)
            now = self._clock()
            if self._remaining is None or now >= self._reset_at:
                self._remaining = estimate
            else:
                self._remaining = min(self._remaining, estimate)
            self._reset_at = now + reset_in


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 6
    base_s: float = 0.5
    cap_s: float = 20.0

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
    on_retry: Callable[[int, Exception], None] | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> T | None:
    """Run `call`, retrying transient failures.

    For writes, `already_done` is checked before each retry: a response lost after the Hub
    applied the write must not be applied twice. When it returns True, the result is None.
    """
    for attempt in range(policy.attempts):
        try:
            return call()
        except Exception as raw:
            problem = translate(raw)
            if not isinstance(problem, TransientHubError) or attempt == policy.attempts - 1:
                raise problem from raw
            if on_retry is not None:
                on_retry(attempt + 1, problem)
            sleep(policy.delay(attempt, problem.retry_after))
            if already_done is not None and already_done():
                return None
    raise AssertionError("unreachable: the last attempt either returns or raises")
