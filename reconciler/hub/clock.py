"""The Hub's clock, as its responses state it.

A secret's `updatedAt` is stamped by the Hub. To tell our own write from a later one, the time
we record with the write must come from the same clock, never the runner's, which may be off by
minutes. Every Hub response carries a Date header (RFC 9110 §6.6.1; every recorded response
has one, e.g. hub-cassettes space-test_manage_secrets.yaml), at one-second resolution.

Each response gives a lower bound of the Hub's time at its arrival here (the Date was stamped
before it left the Hub, and truncated to the second). The estimate is the largest such bound,
carried forward with this machine's monotonic clock, so it is at most about a second behind
the Hub and never ahead of it; the runner's wall clock plays no part.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from email.utils import parsedate_to_datetime


class HubClock:
    def __init__(self, monotonic: Callable[[], float] = time.monotonic, wall: Callable[[], float] = time.time) -> None:
        self._monotonic = monotonic
        self._wall = wall
        self._lock = threading.Lock()
        self._epoch: float | None = None  # the Hub's time minus this machine's monotonic time
        self._last: str | None = None  # the Date header last taken

    @property
    def known(self) -> bool:
        """Whether a Hub response has told its time yet."""
        return self._epoch is not None

    def observe(self, date_header: str | None) -> None:
        """Take the Date header of one response (absent or malformed: ignored)."""
        # Responses within one second carry the same Date: a repeat states nothing new (its
        # estimate is smaller, the monotonic clock having moved on), so it is not parsed again.
        if not date_header or date_header == self._last:
            return
        self._last = date_header
        try:
            stated = parsedate_to_datetime(date_header).timestamp()
        except (TypeError, ValueError):
            return
        estimate = stated - self._monotonic()
        with self._lock:
            if self._epoch is None or estimate > self._epoch:
                self._epoch = estimate

    def now(self) -> float:
        """The Hub's time now. Before any response (no write happens before a read), the
        runner's own clock is all there is."""
        epoch = self._epoch
        return self._wall() if epoch is None else epoch + self._monotonic()
