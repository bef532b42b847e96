"""Simulated time: wall time plus an offset that tests move forward instead of sleeping."""

from __future__ import annotations

import datetime as dt
import threading
import time


class Clock:
    def __init__(self, offset_s: float = 0.0) -> None:
        self._offset = offset_s
        self._lock = threading.Lock()

    @property
    def offset(self) -> float:
        return self._offset

    def now(self) -> float:
        return time.time() + self._offset

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._offset += seconds


def iso(timestamp: float) -> str:
    """The Hub's date format; the client only parses dates that end in Z."""
    moment = dt.datetime.fromtimestamp(timestamp, tz=dt.timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
