"""The executor as a dispatcher: order, stop on failure, rollback only when it can help,
stop before WaitHealthy and resume there, and a typed record of every write. Runs without a
Hub: the writer is a recording stand-in for our own SpaceWriter port, the gate a scripted
`HealthGate`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, cast

import pytest

from reconciler.apply import outcome_of, result_of
from reconciler.executor import Executor
from reconciler.gate import GateResult, Verdict
from reconciler.health import Stage
from reconciler.hub.status import SpaceStatus
from reconciler.hub.writes import SpaceWriter
from reconciler.model import (
    Action,
    CheckFiles,
    Commit,
    FileChanges,
    FileEntry,
    ObservedDigest,
    PlanEntry,
    Rollback,
    Rung,
    SecretRef,
    SetVariables,
    SetVisibility,
    SmokeCall,
    Step,
    Verify,
    VerifySpec,
    WaitHealthy,
)
from reconciler.results import ApplyOptions, Failure, Outcome, RollbackReason, Write, WriteKind
from reconciler.runstate import RunState
from reconciler.verify.api import CallFailed
from reconciler.verify.outcomes import Problem, Status
from tests.builders import DEFAULT_FILES, blob, desired, observed_like, remote_files
from tests.verify.test_checks import FakeApi, FakeLive

NEW_APP = {**DEFAULT_FILES, "app.py": "print('new')\n"}
OLD, NEW, BACK = "a" * 40, "b" * 40, "c" * 40


@dataclass
class RecordingWriter:
    calls: list[tuple[str, Any]] = field(default_factory=list)
    shas: list[str] = field(default_factory=lambda: [NEW, BACK])
    stored: Any = None  # what the last commit stored: unknown here, so no tree is cached

    def set_variable(self, key: str, value: str) -> None:
        self.calls.append(("set_variable", key))

    def delete_variable(self, key: str) -> None:
        self.calls.append(("delete_variable", key))

    def set_visibility(self, visibility: str) -> None:
        self.calls.append(("set_visibility", visibility))

    def commit(self, **kwargs: Any) -> str:
        self.calls.append(("commit", kwargs["parent"]))
        return self.shas.pop(0)

    def download(self, expected: Any, revision: str) -> Any:
        self.calls.append(("download", (expected.path, revision)))
        return expected

    def log_tail(self, build: bool) -> list[str]:
        return ["build log" if build else "run log"]


@dataclass
class ScriptedGate:
    verdicts: list[tuple[Verdict, Stage]]
    asked: list[tuple[str, str | None, Stage | None]] = field(default_factory=list)

    def wait(self, space_id: str, commit: str | None, before: Stage | None, expected_s: float) -> GateResult:
        self.asked.append((space_id, commit, before))
        verdict, stage = self.verdicts.pop(0)
        status = SpaceStatus(commit, stage, None, "boom" if stage.failed else None, None, (), None, None)
        return GateResult(verdict, status, 1.0)


def upload_entry() -> PlanEntry:
    return PlanEntry(
        id="acme/demo",
        action=Action.UPDATE,
        rung=Rung.UPLOAD,
        files=FileChanges(modified=(FileEntry(path="app.py", size=13, oid=blob(NEW_APP["app.py"])),)),
        observed=ObservedDigest(sha=OLD),
    )


def state_for(entry: PlanEntry, writer: RecordingWriter, **options: Any) -> RunState:
    want = desired(files=NEW_APP)
    have = observed_like(want, files=remote_files(DEFAULT_FILES))
    return RunState(cast(SpaceWriter, writer), entry, want, have, ApplyOptions(**options), lambda _: None)


UPLOAD: list[Step] = [CheckFiles(), Commit(files=1), WaitHealthy(), Rollback()]


def test_steps_run_in_order_and_every_write_is_recorded_by_kind_and_name() -> None:
    writer = RecordingWriter()
    entry = upload_entry().model_copy(update={"rung": Rung.SETTINGS, "files": FileChanges()})
    state = state_for(entry, writer)
    steps: list[Step] = [SetVariables(set={"A": "1"}, delete=("B",)), SetVisibility(visibility="private")]
    assert Executor(state, ScriptedGate([]), steps).run()
    assert [name for name, _ in writer.calls] == ["set_variable", "delete_variable", "set_visibility"]
    assert state.writes == [
        Write(kind=WriteKind.VARIABLE_SET, subject="A"),
        Write(kind=WriteKind.VARIABLE_DELETE, subject="B"),
        Write(kind=WriteKind.VISIBILITY, subject="private"),
    ]
    assert state.failure is None and state.restarted  # variables restart the Space; visibility alone would not


def test_a_build_error_rolls_back_to_the_observed_files_and_is_its_own_outcome() -> None:
    writer = RecordingWriter()
    gate = ScriptedGate([(Verdict.FAILED, Stage.BUILD_ERROR), (Verdict.RUNNING, Stage.RUNNING)])
    state = state_for(upload_entry(), writer)
    Executor(state, gate, UPLOAD).run()
    assert state.failure is not None and state.failure.failure is Failure.BUILD_ERROR
    assert state.failure.log_tail == ("build log",)
    # The previous app.py comes from the observed sha; the rollback commit's parent is the failed one.
    assert writer.calls == [("commit", OLD), ("download", ("app.py", OLD)), ("commit", NEW)]
    assert [w.kind for w in state.writes] == [WriteKind.COMMIT, WriteKind.ROLLBACK_COMMIT]
    # The rolled-back files are judged against the failed version's stage, not the old one's.
    assert gate.asked == [("acme/demo", NEW, Stage.RUNNING), ("acme/demo", BACK, Stage.BUILD_ERROR)]
    result = result_of(state)
    assert (result.outcome, result.rollback_reason, result.stage) == (
        Outcome.ROLLED_BACK,
        RollbackReason.BUILD_ERROR,
        Stage.RUNNING,
    )


def test_a_rollback_that_does_not_come_up_is_a_failure_not_a_rollback() -> None:
    gate = ScriptedGate([(Verdict.FAILED, Stage.RUNTIME_ERROR), (Verdict.FAILED, Stage.RUNTIME_ERROR)])
    state = state_for(upload_entry(), RecordingWriter())
    Executor(state, gate, UPLOAD).run()
    assert state.rollback is not None and state.rollback.verdict is Verdict.FAILED
    assert outcome_of(state) == (Outcome.FAILED, Stage.RUNTIME_ERROR)


def test_no_rollback_when_nothing_was_committed() -> None:
    # The files changed on disk: the check fails before any write, the Rollback step has nothing to undo.
    writer = RecordingWriter()
    state = state_for(upload_entry(), writer)
    assert state.desired is not None
    state.desired = desired(files={**NEW_APP, "app.py": "print('edited again')\n"})
    Executor(state, ScriptedGate([]), UPLOAD).run()
    assert state.failure is not None and state.failure.failure is Failure.FILES_CHANGED
    assert writer.calls == [] and state.rollback is None
    assert outcome_of(state) == (Outcome.FAILED, None)


def test_it_can_stop_before_the_health_gate_and_resume_there() -> None:
    writer = RecordingWriter()
    gate = ScriptedGate([(Verdict.RUNNING, Stage.RUNNING)])
    state = state_for(upload_entry(), writer)
    executor = Executor(state, gate, UPLOAD)
    assert executor.run(until=WaitHealthy) is False
    assert isinstance(executor.next_step, WaitHealthy) and state.commit == NEW and gate.asked == []
    assert executor.run(until=WaitHealthy) is True  # resumed at the gate, not stopped by it again
    assert gate.asked == [("acme/demo", NEW, Stage.RUNNING)] and executor.done
    assert outcome_of(state) == (Outcome.APPLIED, Stage.RUNNING)


def test_no_wait_skips_the_gate() -> None:
    state = state_for(upload_entry(), RecordingWriter(), wait=False)
    Executor(state, ScriptedGate([]), UPLOAD).run()
    assert state.verdict is None and outcome_of(state) == (Outcome.APPLIED, None)


# ---------------------------------------------------------------- verification steps
# The Space's API through the verify port (reconciler/verify/api.py), as tests/verify does.


def verified_state(writer: RecordingWriter, api: FakeApi, monkeypatch: pytest.MonkeyPatch, **options: Any) -> RunState:
    monkeypatch.setenv("APP_TOKEN", "tok-s3cret-value")
    spec = VerifySpec(endpoints=("/greet",), smoke=(SmokeCall(api="/greet", args={"name": "Ada"}),))
    state = state_for(upload_entry(), writer, **options)
    assert state.desired is not None
    state.desired = state.desired.model_copy(update={"verify": spec, "secrets": {"T": SecretRef(from_env="APP_TOKEN")}})
    state.live, state.connect = FakeLive(), lambda host, folder: api
    return state


VERIFIED: list[Step] = [
    CheckFiles(),
    Commit(files=1),
    WaitHealthy(),
    Verify(check="endpoints", targets=("/greet",)),
    Verify(check="smoke", targets=("/greet",), call=0),
    Rollback(),
]


def test_a_smoke_call_that_raises_is_verify_failed_with_the_exception_and_no_secret(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    api = FakeApi(names=("/greet",), answers={"/greet": CallFailed("AppError: bad token tok-s3cret-value")})
    state = verified_state(RecordingWriter(), api, monkeypatch)
    gate = ScriptedGate([(Verdict.RUNNING, Stage.RUNNING)])
    Executor(state, gate, [s for s in VERIFIED if not isinstance(s, Rollback)]).run()
    result = result_of(state)
    assert (result.outcome, result.failure, result.stage) == (
        Outcome.VERIFY_FAILED,
        Failure.VERIFY_FAILED,
        Stage.RUNNING,
    )
    endpoints, smoke = result.verification
    assert endpoints.status is Status.PASSED and smoke.problem is Problem.CALL_RAISED
    assert smoke.evidence.exception == "AppError: bad token (sensitive)"
    assert api.closed, "the session closes when the run ends"


def test_a_failed_check_rolls_back_when_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    api = FakeApi(names=("/other",))
    writer = RecordingWriter()
    state = verified_state(writer, api, monkeypatch)
    gate = ScriptedGate([(Verdict.RUNNING, Stage.RUNNING), (Verdict.RUNNING, Stage.RUNNING)])
    Executor(state, gate, VERIFIED).run()
    result = result_of(state)
    assert (result.outcome, result.rollback_reason) == (Outcome.ROLLED_BACK, RollbackReason.VERIFY_FAILED)
    assert [c.problem for c in result.verification] == [Problem.ENDPOINTS_MISSING]  # the list stops at it
    assert result.verification[0].evidence.available == ("/other",) and api.calls == []
    assert [w.kind for w in result.written] == [WriteKind.COMMIT, WriteKind.ROLLBACK_COMMIT]


def test_nothing_is_verified_when_no_restart_was_seen(monkeypatch: pytest.MonkeyPatch) -> None:
    api = FakeApi(names=())
    state = verified_state(RecordingWriter(), api, monkeypatch)
    Executor(state, ScriptedGate([(Verdict.NOT_RESTARTED, Stage.RUNNING)]), VERIFIED).run()
    assert state.verification == [] and outcome_of(state) == (Outcome.COMMITTED, None)
