"""Plan -> Hub writes -> verification -> results. The only stage that changes the Hub.

Per Space, the steps of reconciler/steps.py run in order (reconciler/executor.py). A Space
that fails stops there and says what was already written; other Spaces go on. Running apply
again converges because every run plans from freshly observed state.
"""

from __future__ import annotations

import contextlib
import functools
import threading
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor

from reconciler import waiting
from reconciler.executor import Executor
from reconciler.fleetgate import FleetGate, FleetLine, FleetTally, GateListener
from reconciler.gate import GateResult, PollingGate, Timing, Verdict
from reconciler.health import Stage
from reconciler.hub import status as hub_status
from reconciler.hub.cache import TreeCache
from reconciler.hub.client import HubClient
from reconciler.hub.live import LiveReader
from reconciler.hub.writes import SpaceWriter
from reconciler.model import DesiredSpace, ObservedSpace, PlanEntry, Rung, WaitHealthy
from reconciler.results import ApplyOptions, Failure, Outcome, SpaceFailed, SpaceResult
from reconciler.runstate import RunState
from reconciler.steps import steps_for

Progress = Callable[[str, str], None]


def apply_one(
    client: HubClient,
    entry: PlanEntry,
    desired: DesiredSpace | None,
    observed: ObservedSpace | None,
    options: ApplyOptions,
    progress: Progress,
    cache: TreeCache | None = None,
) -> SpaceResult:
    def say(text: str) -> None:
        progress(entry.id, text)

    timing = Timing(poll_s=options.poll_s, grace_s=options.grace_s, timeout_s=options.timeout_s)
    gate = PollingGate(lambda space_id: hub_status.read_status(client, space_id), timing)
    live = LiveReader(client)
    state = RunState(SpaceWriter(client, entry.id), entry, desired, observed, options, say, cache=cache)
    state.live, state.token = live, live.token
    Executor(state, gate, steps_for(entry, desired, rollback=options.rollback_on_failure)).run()
    result = result_of(state)
    say(_last_word(result))
    return result.model_copy(update={"attempts": 1 + sum(1 for space_id, _ in client.retries if space_id == entry.id)})


def _last_word(result: SpaceResult) -> str:
    return result.outcome.value if result.stage is None else f"{result.outcome.value} ({result.stage.value})"


def outcome_of(state: RunState) -> tuple[Outcome, Stage | None]:
    """The outcome and the stage to report, from the run's record alone."""
    failure, observed = state.failure, state.observed
    if failure is not None:
        if state.rollback is not None and state.rollback.verdict is Verdict.RUNNING:
            return Outcome.ROLLED_BACK, Stage.RUNNING
        verify = failure.failure is Failure.VERIFY_FAILED
        return (Outcome.VERIFY_FAILED if verify else Outcome.FAILED), failure.stage
    if state.entry.rung is Rung.NONE:
        return Outcome.UNCHANGED, observed.stage if observed else None
    if state.verdict is Verdict.NOT_RESTARTED:
        return Outcome.COMMITTED, None
    return Outcome.APPLIED, Stage.RUNNING if state.verdict is Verdict.RUNNING else None


def result_of(state: RunState) -> SpaceResult:
    outcome, stage = outcome_of(state)
    failure: SpaceFailed | None = state.failure
    return SpaceResult(
        id=state.entry.id,
        rung=state.entry.rung,
        outcome=outcome,
        message=str(failure) if failure else "",
        failure=failure.failure if failure else None,
        rollback_reason=state.rollback.reason if state.rollback else None,
        commit=state.commit,
        stage=stage,
        written=tuple(state.writes),
        log_tail=failure.log_tail if failure else (),
        verification=tuple(state.verification),
    )


def apply_entries(
    client: HubClient,
    entries: tuple[PlanEntry, ...],
    desired: Mapping[str, DesiredSpace],
    observed: Mapping[str, ObservedSpace],
    options: ApplyOptions,
    progress: Progress,
    cache: TreeCache | None = None,
    listener: GateListener | None = None,
) -> tuple[SpaceResult, ...]:
    """Apply every entry, `parallelism` Spaces at a time; one failing Space never stops the others.

    The writes run on the worker pool. A Space that must then become healthy is handed to one
    FleetGate, which watches every such Space through the namespace listing, and its worker is
    released at once: parallelism bounds the writes in flight, not the Spaces building. Once the
    gate's verdict is in, the rest of the Space's steps (verification, a rollback) run on the
    pool again. `cache`: where each commit's tree is written, so the next plan need not read it;
    `listener`: hears each watched Space's stage changes and the fleet's tally after each listing."""
    timing = Timing(poll_s=options.poll_s, grace_s=options.grace_s, timeout_s=options.timeout_s)

    def tally(counts: FleetTally) -> None:
        if listener is not None:
            left, resets_in = client.pacer.window()
            listener.fleet(FleetLine(counts, client.stats.total, left, resets_in))

    gate = FleetGate(
        lambda namespace: hub_status.list_statuses(client, namespace),
        timing,
        on_event=listener.stage if listener is not None else None,
        on_tally=tally,
    )
    rollout = _Rollout(len(entries))
    live = LiveReader(client)
    with ThreadPoolExecutor(max_workers=max(1, options.parallelism)) as pool:

        def finish(state: RunState) -> None:
            result = result_of(state)
            state.say(
                result.outcome.value if result.stage is None else f"{result.outcome.value} ({result.stage.value})"
            )
            attempts = 1 + sum(1 for space_id, _ in client.retries if space_id == state.space_id)
            rollout.done(result.model_copy(update={"attempts": attempts}))

        def resume(state: RunState, run: Executor) -> None:
            with rollout.guard():
                run.run()
                finish(state)

        def start(entry: PlanEntry) -> None:
            with rollout.guard():
                say = functools.partial(progress, entry.id)
                state = RunState(SpaceWriter(client, entry.id), entry, desired.get(entry.id),
                                 observed.get(entry.id), options, say, cache=cache)  # fmt: skip
                state.live, state.token = live, live.token  # verification reads the running app
                run = Executor(state, gate, steps_for(entry, state.desired, rollback=options.rollback_on_failure))
                request = None if run.run(until=WaitHealthy) else waiting.gate_request(state)
                if request is None:  # done, or nothing to wait for: the step returns at once
                    run.run()
                    finish(state)
                    return
                # Said now, when the Space is handed over: its verdict is read after the stage lines.
                state.say("waiting for the new version to run")
                state.wait_announced = True
                verdict = gate.watch(request.space_id, request.commit, request.before, request.expected_s)
                run.gate = _Answered(verdict, gate)
                verdict.add_done_callback(lambda _: pool.submit(resume, state, run))

        for entry in entries:
            pool.submit(start, entry)
        results = rollout.wait()
    return tuple(sorted(results, key=lambda r: r.id))


class _Answered:
    """The health gate of a resumed run: the fleet gate's verdict for the wait it was handed over
    for, the fleet gate itself for any later wait (the rolled-back files')."""

    def __init__(self, verdict: Future[GateResult], gate: FleetGate) -> None:
        self.verdict: Future[GateResult] | None = verdict
        self.gate = gate

    def wait(self, space_id: str, commit: str | None, before: Stage | None, expected_s: float) -> GateResult:
        if self.verdict is not None:
            verdict, self.verdict = self.verdict, None
            return verdict.result()  # a listing that failed raises here, as a read would
        return self.gate.wait(space_id, commit, before, expected_s)


class _Rollout:
    """Results as Spaces finish, on whichever thread; `wait` returns once every Space has one.
    An unexpected error in any Space is raised by `wait`, after the others finished."""

    def __init__(self, count: int) -> None:
        self.left = count
        self.results: list[SpaceResult] = []
        self.errors: list[BaseException] = []
        self.changed = threading.Condition()

    def done(self, result: SpaceResult) -> None:
        with self.changed:
            self.results.append(result)
            self.left -= 1
            self.changed.notify_all()

    @contextlib.contextmanager
    def guard(self) -> Iterator[None]:
        try:
            yield
        except BaseException as unexpected:
            with self.changed:
                self.errors.append(unexpected)
                self.left -= 1
                self.changed.notify_all()

    def wait(self) -> list[SpaceResult]:
        with self.changed:
            self.changed.wait_for(lambda: self.left <= 0)
            if self.errors:
                raise self.errors[0]
            return list(self.results)


__all__ = ["ApplyOptions", "Outcome", "SpaceFailed", "SpaceResult", "apply_entries", "apply_one"]
