"""Confirm a hot reload as `hf spaces hot-reload` does (hub-contract §10).

Confirmed only when `space_info.sha` is the commit, `runtime.hotReloading.status` is
`created`, every replica says `created`, and every replica's reload event stream ends without
an `exception` or `error` event. Anything else is a typed reason not to trust the reload.
"""

from __future__ import annotations

import enum
import time
from collections.abc import Callable
from dataclasses import dataclass

from reconciler.health import HotReloadStatus
from reconciler.hub.status import ReloadProblem, SpaceStatus


class Unconfirmed(str, enum.Enum):
    NOT_REPORTED = "not-reported"  # the Hub showed no reload of this commit in time
    STATUS = "status"  # hotReloading.status is not created (detail: the status)
    REPLICA = "replica"  # a replica did not create the reload (detail: replica and status)
    STREAM = "stream"  # a replica's reload events could not be read
    FAILED = "failed"  # a replica's reload raised (problems: traceback and region)


@dataclass(frozen=True)
class ReloadCheck:
    confirmed: bool
    why: Unconfirmed | None = None
    detail: str = ""
    problems: tuple[ReloadProblem, ...] = ()


def check_reload(
    read: Callable[[], SpaceStatus],
    events: Callable[[SpaceStatus], list[ReloadProblem] | None],
    commit: str,
    *,
    wait_s: float,
    poll_s: float,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> ReloadCheck:
    deadline = clock() + wait_s
    status = read()
    # The Hub reports the reload shortly after the commit (the CLI polls until sha changes).
    while status.sha != commit or status.hot_reload is None:
        if clock() >= deadline:
            return ReloadCheck(False, Unconfirmed.NOT_REPORTED, f"sha {str(status.sha)[:12]}")
        sleep(poll_s)
        status = read()
    if status.hot_reload is not HotReloadStatus.CREATED:
        return ReloadCheck(False, Unconfirmed.STATUS, status.hot_reload.value)
    if not status.replicas:
        return ReloadCheck(False, Unconfirmed.REPLICA, "no replica reported")
    for replica, state in status.replicas:
        if state is not HotReloadStatus.CREATED:
            return ReloadCheck(False, Unconfirmed.REPLICA, f"{replica}: {state.value if state else 'none'}")
    problems = events(status)
    if problems is None:
        return ReloadCheck(False, Unconfirmed.STREAM)
    if problems:
        return ReloadCheck(False, Unconfirmed.FAILED, problems=tuple(problems))
    return ReloadCheck(True)
