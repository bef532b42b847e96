"""Repo creations by one user that overlap: the Hub refuses all but one with a 409.

Evidence: huggingface_hub 2.4 create_repo re-POSTs in a loop while it gets a 409 whose body
says "Cannot create repo: another conflicting operation is in progress" (hf_api.py, with the
comment that concurrent creation for one user has not been possible since private repos). The
local Hub answers it to a create whose user already has a create in flight (switch
`concurrent_create_conflicts`, on by default: "sometimes, under parallel creates").
"""

from __future__ import annotations

import threading
from collections import Counter

CONFLICT = "Cannot create repo: another conflicting operation is in progress"


class CreatesInFlight:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._running: Counter[str] = Counter()

    def enter(self, user: str) -> bool:
        """Start a create for `user`; False (and nothing started) when one is already running."""
        with self._lock:
            if self._running[user]:
                return False
            self._running[user] += 1
            return True

    def leave(self, user: str) -> None:
        with self._lock:
            self._running[user] -= 1
