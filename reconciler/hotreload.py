"""Confirm a hot reload as `hf spaces hot-reload` does (hub-contract §10).

Confirmed only when `space_info.sha` is the commit, `runtime.hotReloading.status` is
`created`, every replica says `created`, and every replica's reload event stream ends without
an `exception` or `error` event. Anything else is a typed reason not to trust the reload.
`check_reload` is the judgement (pure, given its reads); `verify_hot_reload` is apply's step.
"""

from __future__ import annotations

import enum
import time
from collections.abc import Callable
from dataclasses import dataclass

from reconciler.health import HotReloadStatus
from reconciler.hub import status as hub_status
from reconciler.hub.status import ReloadProblem, SpaceStatus
from reconciler.model import VerifyHotReload
from reconciler.results import WriteKind
from reconciler.runstate import RunState


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


def unconfirmed_text(check: ReloadCheck) -> str:
    if check.problems:
        first = check.problems[0]
        where = f" at {first.region}" if first.region else ""
        last = (first.traceback.strip().splitlines() or [""])[-1]
        return f"replica {first.replica}: {first.kind}{where}: {last}"
    return f"{check.why.value if check.why else 'unknown'} {check.detail}".strip()


def verify_hot_reload(run: RunState, step: VerifyHotReload) -> None:
    """The VerifyHotReload step: confirmed, the new code runs as is; not, restart (its fallback)."""
    assert run.commit is not None
    client, commit = run.writer.client, run.commit
    check = check_reload(
        lambda: hub_status.read_status(client, run.space_id),
        lambda status: hub_status.reload_problems(client, status, commit),
        commit,
        wait_s=min(run.options.timeout_s, 60.0),
        poll_s=run.options.poll_s,
    )
    if check.confirmed:
        run.say("hot reload confirmed on every replica")
        run.reloaded = True
        return
    run.say(f"hot reload not confirmed ({unconfirmed_text(check)}); restarting to run the new code")
    for problem in check.problems:  # the replica's own report, as `hf spaces hot-reload` shows it
        run.say(f"replica {problem.replica}: {problem.kind} at {problem.region or 'an unknown place'}:")
        for line in problem.traceback.rstrip("\n").splitlines():
            run.say(f"  | {line}")
    run.writer.restart()
    run.wrote(WriteKind.RESTART, restarts=True)
