"""The WaitHealthy step: what to wait for (pure), the wait through a `gate.HealthGate`, and
what its verdict means for apply (pure).

The executor can stop before this step and be resumed at it later (reconciler/executor.py), so
a gate that serves many Spaces can collect `gate_request`s first and answer them together.
"""

from __future__ import annotations

from reconciler.gate import GateRequest, GateResult, HealthGate, Verdict
from reconciler.health import Stage
from reconciler.model import Action, DesiredSpace, ObservedSpace, PlanEntry, WaitHealthy
from reconciler.results import ApplyOptions, Failure, SpaceFailed
from reconciler.runstate import RunState

# How long a build or start is expected to take by default, by whether the image is rebuilt.
EXPECTED_BUILD_S = {True: ApplyOptions.rebuild_s, False: ApplyOptions.restart_s}


def stage_before(entry: PlanEntry, desired: DesiredSpace | None, observed: ObservedSpace | None) -> Stage | None:
    """The stage the Space showed before the change: the gate never judges that state."""
    if entry.action is Action.CREATE:
        return Stage.NO_APP_FILE  # what a new, empty Space shows until its first build
    if desired is not None and desired.sdk == "static":
        return None  # a static Space serves a commit without a build: no transition to wait for
    return observed.stage if observed else None


def gate_request(run: RunState, before: Stage | None = None) -> GateRequest | None:
    """The wait this run needs now; None when there is nothing to wait for (--no-wait, or a
    confirmed hot reload with no restart since)."""
    if not run.options.wait or (run.reloaded and not run.restarted):
        return None
    entry = run.entry
    rebuild = entry.action is Action.CREATE or (bool(entry.files) and not run.reloaded)
    if before is None:
        before = stage_before(entry, run.desired, run.observed)
    return GateRequest(entry.id, run.commit, before, run.options.rebuild_s if rebuild else run.options.restart_s)


def failure_of(result: GateResult, timeout_s: float, commit: str | None) -> tuple[Failure, str] | None:
    """The failure a gate's verdict is, with its detail; None for RUNNING or not restarted yet."""
    stage = result.status.stage if result.status else None
    if result.verdict is Verdict.FAILED and stage is not None:
        error = result.status.error if result.status else None
        kind = Failure.BUILD_ERROR if stage.build_failed else Failure.RUNTIME_ERROR
        return kind, f"{stage.value}: {error or 'see the log tail'}"
    if result.verdict is Verdict.TIMED_OUT:
        where = stage.value if stage else "unknown"
        return Failure.NOT_HEALTHY_IN_TIME, (
            f"timed out after {timeout_s:.0f}s waiting for RUNNING on {(commit or 'the restart')[:12]} (stage {where})"
        )
    return None


def wait_healthy(run: RunState, gate: HealthGate, step: WaitHealthy, before: Stage | None = None) -> None:
    if not run.options.wait:
        return
    request = gate_request(run, before)
    if request is None:
        run.verdict = Verdict.RUNNING  # confirmed by every replica's reload events
        return
    if not run.wait_announced:
        run.say("waiting for the new version to run")
    run.wait_announced = False
    result = gate.wait(request.space_id, request.commit, request.before, request.expected_s)
    run.verdict, run.restarted = result.verdict, False
    failed = failure_of(result, run.options.timeout_s, run.commit)
    if failed is None:
        return
    kind, detail = failed
    stage = result.status.stage if result.status else None
    crashed = stage is not None and kind is not Failure.NOT_HEALTHY_IN_TIME
    tail = tuple(run.writer.log_tail(build=stage.build_failed)) if crashed and stage else ()
    raise SpaceFailed(detail, kind, log_tail=tail, stage=stage)
