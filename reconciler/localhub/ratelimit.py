"""Rate limits as the Hub announces them: fixed windows per token and bucket, plus per-action limits.

Evidence (hub-contract §0.2, §13): the documented header `RateLimit: "api";r=<left>;t=<reset s>`
with `RateLimit-Policy: "fixed window";"api";q=<quota>;w=<window s>` (huggingface_hub
parse_ratelimit_headers, utils/_http.py); separate buckets for the API, resolve downloads and
pages (Hub docs, "Hub rate limits"). Per-action limits (commits, repo creation) are not
documented: the least convenient reading is a 429 that still shows budget left in the api
bucket (`r>0`), so a client cannot tell it from the header alone (switch
`per_action_429_in_api_bucket`; off, the 429 names the action's own bucket with r=0).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping

API, RESOLVERS, PAGES = "api", "resolvers", "pages"
# Quotas when no fault sets one: large enough that no test is slowed, still announced.
DEFAULT_QUOTA = (100_000, 300.0)
# Routes a per-action limit may name (admin faults "action_limits"), by stats template suffix.
ACTIONS = {"commit": "/commit/{rev}", "create": "/api/repos/create"}


def bucket_of(path: str) -> str:
    """Downloads through resolve URLs count as resolvers, every other call the local Hub serves
    (the API, git LFS batch, Xet tokens) as api; it serves no pages."""
    return RESOLVERS if "/resolve/" in path else API


def action_of(route: str) -> str | None:
    return next(
        (name for name, suffix in ACTIONS.items() if route.startswith("POST ") and route.endswith(suffix)), None
    )


class Windows:
    """Fixed windows keyed by (token, bucket or action). Thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._windows: dict[tuple[str, str], list[float]] = {}

    def reset(self) -> None:
        with self._lock:
            self._windows.clear()

    def hit(self, key: tuple[str, str], quota: tuple[int, float]) -> tuple[int, int]:
        """Count one request; (remaining after it, seconds to reset). Remaining < 0: refused."""
        requests, window = quota
        now = time.monotonic()
        with self._lock:
            start, count = self._windows.get(key, [now, 0.0])
            if now - start >= window:
                start, count = now, 0.0
            count += 1
            self._windows[key] = [start, count]
        return requests - int(count), max(1, int(start + window - now + 0.999))


def headers(bucket: str, remaining: int, reset: int, quota: tuple[int, float]) -> dict[str, str]:
    return {
        "RateLimit": f'"{bucket}";r={max(0, remaining)};t={reset}',
        "RateLimit-Policy": f'"fixed window";"{bucket}";q={quota[0]};w={int(quota[1])}',
    }


class Limiter:
    """What one request costs and what the response says about it."""

    def __init__(self) -> None:
        self.windows = Windows()

    def reset(self) -> None:
        self.windows.reset()

    def check(
        self,
        who: str,
        path: str,
        route: str,
        quotas: Mapping[str, tuple[int, float]],
        actions: Mapping[str, tuple[int, float]],
        *,
        action_in_api_bucket: bool,
    ) -> tuple[bool, dict[str, str]]:
        """(allowed, headers). The bucket's window counts every request; an action's only its own."""
        bucket = bucket_of(path)
        quota = quotas.get(bucket, DEFAULT_QUOTA)
        remaining, reset = self.windows.hit((who, bucket), quota)
        sent = headers(bucket, remaining, reset, quota)
        if remaining < 0:
            return False, {**sent, "Retry-After": str(reset)}
        action = action_of(route)
        if action is not None and action in actions:
            left, action_reset = self.windows.hit((who, action), actions[action])
            if left < 0:
                if action_in_api_bucket:
                    return False, sent  # budget left in the api bucket; no word of the action
                return False, headers(f"{action}s", 0, action_reset, actions[action])
        return True, sent
