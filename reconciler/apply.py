"""Plan -> Hub writes -> verification -> results. The only stage that changes the Hub.

Per Space, the steps of reconciler/steps.py run in order (reconciler/executor.py). A Space
that fails stops there and says what was already written; other Spaces go on. Running apply
again converges because every run plans from freshly observed state.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor

from reconciler.errors import ConflictError, HubError, ReconcileError
from reconciler.executor import Executor, merge_volumes
from reconciler.gate import PollingGate, Timing, Verdict
from reconciler.health import Stage
from reconciler.hub import status as hub_status
from reconciler.hub.cache import TreeCache
from reconciler.hub.client import HubClient
from reconciler.hub.writes import SpaceWriter
from reconciler.model import DesiredSpace, ObservedSpace, PlanEntry, Rung
from reconciler.results import ApplyOptions, Outcome, SpaceFailed, SpaceResult
from reconciler.steps import steps_for

Progress = Callable[[str, str], None]
NOT_RESTARTED = "committed; the Space has not restarted yet"


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
    run = Executor(SpaceWriter(client, entry.id), gate, entry, desired, observed, options, say, cache=cache)
    outcome, message = Outcome.APPLIED, "applied"
    stage: Stage | None = None
    tail: tuple[str, ...] = ()
    try:
        run.run(steps_for(entry, desired, rollback=options.rollback_on_failure))
    except SpaceFailed as failure:
        outcome, message, stage, tail = Outcome.FAILED, str(failure), failure.stage, failure.log_tail
    except (HubError, ReconcileError) as problem:
        outcome, message = Outcome.FAILED, str(problem)
        if isinstance(problem, ConflictError):
            message = f"{entry.id} changed since it was observed; nothing more was written. {problem}"
    if outcome is Outcome.APPLIED:
        if entry.rung is Rung.NONE:
            outcome, message, stage = Outcome.UNCHANGED, "no changes", observed.stage if observed else None
        elif run.verdict is Verdict.NOT_RESTARTED:
            outcome, message = Outcome.COMMITTED, NOT_RESTARTED
        elif run.verdict is Verdict.RUNNING:
            stage = Stage.RUNNING
    if outcome is Outcome.FAILED and run.written:
        message += f" (already written: {', '.join(run.written)}; run apply again to converge)"
    say(outcome.value if stage is None else f"{outcome.value} ({stage.value})")
    return SpaceResult(
        id=entry.id,
        rung=entry.rung,
        outcome=outcome,
        message=message,
        commit=run.commit,
        stage=stage,
        attempts=1 + sum(1 for space_id, _ in client.retries if space_id == entry.id),
        written=tuple(run.written),
        log_tail=tail,
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


__all__ = ["ApplyOptions", "Outcome", "SpaceFailed", "SpaceResult", "apply_entries", "apply_one", "merge_volumes"]
