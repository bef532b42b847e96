"""One health gate for a whole rollout: the namespace listing, read once per interval, judges every Space.

A PollingGate reads each Space on its own (a `space_info` per Space per interval). This gate
keeps one set of Spaces being watched and reads `list_spaces(author=NS, expand=[sha, runtime])`
once per interval, page by page, for every namespace with a Space in it (hub-contract §3: each
item is a SpaceInfo with the sha and the runtime stage). Each Space is judged by the same rules
as the PollingGate (gate.left_pre_change_state, gate.judge), with the same NOT_RESTARTED and
TIMED_OUT verdicts. What the listing cannot tell (a failed build's log tail, the replicas' reload
streams) is still read per Space, by the executor, after the verdict.

The interval follows the expected durations of what is awaited: it starts at `poll_s` and grows
with each Space's wait towards a tenth of its expected duration (a rebuild is minutes, a
restart seconds), so a build or start stage is still seen several times. Every listing goes
through the HubClient, so it spends the same rate-limit budget as every other call (Pacer).

`wait()` is the HealthGate interface (blocks until the Space's verdict); `watch()` returns a
future, so a caller can hand the Space over and release its worker at once.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Protocol

from reconciler.gate import GateResult, Timing, Verdict, judge, left_pre_change_state
from reconciler.health import Stage
from reconciler.hub.status import SpaceStatus

ListStatuses = Callable[[str], Mapping[str, SpaceStatus]]  # namespace -> {lower-case id: status}


@dataclass
class _Watch:
    space_id: str
    commit: str | None
    before: Stage | None
    expected_s: float
    since: float
    future: Future[GateResult] = field(default_factory=Future)
    transitioned: bool = False
    last: SpaceStatus | None = None
    polls: int = 0

    def cap(self, timing: Timing) -> float:
        return max(timing.poll_s, self.expected_s / 10)

    def interval(self, timing: Timing, now: float) -> float:
        return min(self.cap(timing), max(timing.poll_s, (now - self.since) / 4))


@dataclass(frozen=True)
class GateEvent:
    """A watched Space's stage changed in a listing, or its verdict was reached."""

    space_id: str
    stage: Stage | None
    waited_s: float
    verdict: Verdict | None


@dataclass(frozen=True)
class FleetTally:
    """After each round of listings: the watched Spaces by what the listing shows, and the verdicts so far."""

    building: int  # a build or an app start under way
    waiting: int  # watched, no build or start seen yet
    running: int  # verdict RUNNING
    failed: int  # FAILED or TIMED_OUT
    listings: int
    not_restarted: int = 0  # no sign of a restart within the grace: committed, not a failure


@dataclass(frozen=True)
class FleetLine:
    """The rollout at a glance: the gate's tally and the Hub calls spent (apply adds the calls)."""

    tally: FleetTally
    calls: int  # Hub requests this run has made so far
    left_in_window: int | None  # the rate-limit estimate (None: not announced yet)
    resets_in_s: float


class GateListener(Protocol):
    """What a progress display hears from the gate (reconciler.render.apply_progress)."""

    def stage(self, event: GateEvent) -> None: ...

    def fleet(self, line: FleetLine) -> None: ...


class FleetGate:
    """Thread-safe. The listing runs on one thread of its own while any Space is watched."""

    def __init__(
        self,
        list_statuses: ListStatuses,
        timing: Timing | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] | None = None,
        on_event: Callable[[GateEvent], None] | None = None,
        on_tally: Callable[[FleetTally], None] | None = None,
    ) -> None:
        self.list_statuses = list_statuses
        self.timing = timing or Timing()
        self.clock = clock
        self.on_event = on_event
        self.on_tally = on_tally
        self._verdicts: dict[Verdict, int] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._sleep = sleep
        self._watches: dict[str, _Watch] = {}
        self._thread: threading.Thread | None = None
        self.listings = 0  # listing calls made (pages count in the client's stats)

    # ------------------------------------------------------------------ interface
    def watch(self, space_id: str, commit: str | None, before: Stage | None, expected_s: float) -> Future[GateResult]:
        watch = _Watch(space_id, commit, before, expected_s, self.clock())
        with self._lock:
            # A Space is waited for once at a time (a rollback waits again after its first verdict).
            self._watches[space_id.lower()] = watch
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="fleet-health-gate", daemon=True)
                self._thread.start()
        # Not woken: a Space added while the gate waits is first read at the next listing, at most
        # one interval later (a tenth of an expected duration), while its build or start still shows.
        return watch.future

    def wait(self, space_id: str, commit: str | None, before: Stage | None, expected_s: float) -> GateResult:
        return self.watch(space_id, commit, before, expected_s).result()

    @property
    def watching(self) -> int:
        with self._lock:
            return len(self._watches)

    # ------------------------------------------------------------------ the listing loop
    def _run(self) -> None:
        while True:
            with self._lock:
                if not self._watches:
                    self._thread = None
                    return
                watches = list(self._watches.values())
            try:
                self.poll_once(watches)
            except Exception as problem:  # the listing failed after its retries: every waiter sees it
                with self._lock:
                    failed = [self._watches.pop(w.space_id.lower(), None) for w in watches]
                for watch in failed:
                    if watch is not None and not watch.future.done():
                        watch.future.set_exception(problem)
                continue
            delay = self._next_delay()
            if delay is not None and delay > 0:
                self._pause(delay)

    def _pause(self, delay: float) -> None:
        if self._sleep is not None:
            self._sleep(delay)
            return
        self._stop.wait(delay)

    def _next_delay(self) -> float | None:
        now = self.clock()
        with self._lock:
            if not self._watches:
                return None
            return min(w.interval(self.timing, now) for w in self._watches.values())

    def poll_once(self, watches: list[_Watch]) -> None:
        """One listing per namespace with a watched Space, then a judgement of each."""
        namespaces = sorted({w.space_id.split("/", 1)[0].lower() for w in watches})
        statuses: dict[str, SpaceStatus] = {}
        for namespace in namespaces:
            statuses.update(self.list_statuses(namespace))
            self.listings += 1
        now = self.clock()
        building = waiting = 0
        for watch in watches:
            status = statuses.get(watch.space_id.lower())
            shown = watch.last.stage if watch.last else None
            result = self._judge(watch, status, now)
            stage = status.stage if status else shown
            if self.on_event is not None and (result is not None or stage is not shown or watch.polls == 0):
                self.on_event(GateEvent(watch.space_id, stage, now - watch.since, result.verdict if result else None))
            watch.polls += 1
            if result is None:
                building += watch.transitioned
                waiting += not watch.transitioned
                continue
            with self._lock:
                if self._watches.get(watch.space_id.lower()) is watch:
                    del self._watches[watch.space_id.lower()]
                self._verdicts[result.verdict] = self._verdicts.get(result.verdict, 0) + 1
            watch.future.set_result(result)
        if self.on_tally is not None:
            running = self._verdicts.get(Verdict.RUNNING, 0)
            quiet = self._verdicts.get(Verdict.NOT_RESTARTED, 0)
            failed = sum(self._verdicts.values()) - running - quiet
            self.on_tally(FleetTally(building, waiting, running, failed, self.listings, quiet))

    def _judge(self, watch: _Watch, status: SpaceStatus | None, now: float) -> GateResult | None:
        waited = now - watch.since
        if status is not None:
            watch.last = status
            watch.transitioned = watch.transitioned or left_pre_change_state(status, watch.commit, watch.before)
            verdict = judge(status, watch.commit) if watch.transitioned else None
            if verdict is not None:
                return GateResult(verdict, status, waited)
        if not watch.transitioned and waited >= self.timing.grace_s:
            return GateResult(Verdict.NOT_RESTARTED, watch.last, waited)
        if waited >= self.timing.timeout_s:
            return GateResult(Verdict.TIMED_OUT, watch.last, waited)
        return None
