"""Plan -> Hub writes -> verification -> results. The only stage that changes the Hub.

Per Space, the steps of reconciler/steps.py run in order (reconciler/executor.py). A Space
that fails stops there and says what was already written; other Spaces go on. Running apply
again converges because every run plans from freshly observed state.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor

from reconciler.executor import Executor
from reconciler.gate import PollingGate, Timing, Verdict
from reconciler.health import Stage
from reconciler.hub import status as hub_status
from reconciler.hub.cache import TreeCache
from reconciler.hub.client import HubClient
from reconciler.hub.live import LiveReader
from reconciler.hub.writes import SpaceWriter
from reconciler.model import DesiredSpace, ObservedSpace, PlanEntry, Rung
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
    say(result.outcome.value if result.stage is None else f"{result.outcome.value} ({result.stage.value})")
    return result.model_copy(update={"attempts": 1 + sum(1 for space_id, _ in client.retries if space_id == entry.id)})


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
) -> tuple[SpaceResult, ...]:
    """Apply every entry, `parallelism` Spaces at a time; one failing Space never stops the others.

    `cache`: where each commit's tree is written, so the next plan need not read it from the Hub."""

    def one(entry: PlanEntry) -> SpaceResult:
        return apply_one(client, entry, desired.get(entry.id), observed.get(entry.id), options, progress, cache)

    with ThreadPoolExecutor(max_workers=max(1, options.parallelism)) as pool:
        results = list(pool.map(one, entries))
    return tuple(sorted(results, key=lambda r: r.id))


__all__ = ["ApplyOptions", "Outcome", "SpaceFailed", "SpaceResult", "apply_entries", "apply_one"]
