"""The pure parts of apply's steps, each where it belongs: volume merging (diff), files as
reviewed (stale), secret values (manifests.secrets), a static Space's seeded files
(settings_apply), what a rollback restores (rollback), what the gate waits for and what its
verdict means (waiting), and the advice each outcome gets (render.apply_words)."""

from __future__ import annotations

import pytest

from reconciler.diff import merge_volumes
from reconciler.gate import GateResult, Verdict
from reconciler.health import Stage
from reconciler.hub.status import SpaceStatus
from reconciler.manifests.secrets import resolve_all
from reconciler.model import (
    Action,
    FileChanges,
    FileEntry,
    ObservedDigest,
    PlanEntry,
    RemoteFile,
    Rung,
    SecretRef,
    Volume,
)
from reconciler.render.apply_words import advice, result_message, write_text
from reconciler.results import Failure, Outcome, RollbackReason, SpaceResult, Write, WriteKind
from reconciler.rollback import restore_set
from reconciler.settings_apply import seeded
from reconciler.stale import changed_since_plan
from reconciler.waiting import EXPECTED_BUILD_S, failure_of, stage_before
from tests.builders import DEFAULT_FILES, blob, desired, observed_like, remote_files


def vol(path: str, source: str = "acme/data") -> Volume:
    return Volume(type="bucket", source=source, mount_path=path)


def test_declared_volumes_replace_only_their_own_mounts_and_hand_mounts_stay() -> None:
    live = (vol("/data", "acme/old"), vol("/by-hand"))
    assert merge_volumes(live, (vol("/data"), vol("/cache"))) == [vol("/by-hand"), vol("/cache"), vol("/data")]


def entry(files: FileChanges, action: Action = Action.UPDATE) -> PlanEntry:
    return PlanEntry(
        id="acme/demo", action=action, rung=Rung.UPLOAD, files=files, observed=ObservedDigest(sha="a" * 40)
    )


def test_files_to_commit_are_those_reviewed_or_the_first_changed_one_is_named() -> None:
    new = {**DEFAULT_FILES, "app.py": "print('new')\n"}
    reviewed = FileChanges(modified=(FileEntry(path="app.py", size=13, oid=blob(new["app.py"])),))
    files, changed = changed_since_plan(entry(reviewed), desired(files=new))
    assert ([f.path for f in files], changed) == (["app.py"], None)
    _, changed = changed_since_plan(entry(reviewed), desired(files={**new, "app.py": "print('later')\n"}))
    assert changed == "app.py"
    _, gone = changed_since_plan(entry(reviewed), desired(files={"README.md": DEFAULT_FILES["README.md"]}))
    assert gone == "app.py"


def test_secret_values_are_read_and_missing_ones_say_where_they_were_looked_for(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HAVE_IT", "s3cret-value")
    monkeypatch.delenv("NOT_SET", raising=False)
    refs = {"A": SecretRef(from_env="HAVE_IT"), "B": SecretRef(from_env="NOT_SET")}
    values, missing = resolve_all(refs, ["A", "B"])
    assert values == {"A": "s3cret-value"} and missing == ["B (env NOT_SET)"]


def test_only_a_static_space_has_seeded_files_to_remove() -> None:
    static = desired(sdk="static", files={"index.html": "<p>hi</p>\n"})
    assert seeded(static, ("index.html", "style.css", ".gitattributes")) == ["style.css"]
    assert seeded(desired(), ("index.html", "style.css")) == []


def test_a_rollback_restores_modified_and_deleted_files_and_deletes_added_ones() -> None:
    have = observed_like(desired(), files=remote_files({**DEFAULT_FILES, "old.py": "x\n"}))
    changes = FileChanges(
        added=(FileEntry(path="new.py", size=1),),
        modified=(FileEntry(path="app.py", size=1),),
        deleted=(FileEntry(path="old.py", size=1),),
    )
    restore, deletions = restore_set(changes, have)
    assert [f.path for f in restore] == ["app.py", "old.py"] and deletions == ["new.py"]
    assert all(isinstance(f, RemoteFile) for f in restore)


def test_only_failures_of_the_new_version_are_rolled_back() -> None:
    assert RollbackReason.of(Failure.BUILD_ERROR) is RollbackReason.BUILD_ERROR
    assert RollbackReason.of(Failure.VERIFY_FAILED) is RollbackReason.VERIFY_FAILED
    assert RollbackReason.of(Failure.NOT_HEALTHY_IN_TIME) is RollbackReason.NOT_HEALTHY_IN_TIME
    for kept in (Failure.CONFLICT, Failure.HUB, Failure.SECRET_UNAVAILABLE, Failure.FILES_CHANGED):
        assert RollbackReason.of(kept) is None


def test_the_stage_before_a_change() -> None:
    want = desired()
    assert stage_before(entry(FileChanges(), Action.CREATE), want, None) is Stage.NO_APP_FILE
    assert stage_before(entry(FileChanges()), desired(sdk="static"), observed_like(want)) is None
    assert stage_before(entry(FileChanges()), want, observed_like(want, stage="RUNTIME_ERROR")) is Stage.RUNTIME_ERROR
    assert EXPECTED_BUILD_S[True] > EXPECTED_BUILD_S[False]


def status(stage: Stage | None) -> SpaceStatus:
    return SpaceStatus("b" * 40, stage, None, "exit 1", None, (), None, None)


@pytest.mark.parametrize(
    ("verdict", "stage", "failure"),
    [
        (Verdict.FAILED, Stage.BUILD_ERROR, Failure.BUILD_ERROR),
        (Verdict.FAILED, Stage.CONFIG_ERROR, Failure.BUILD_ERROR),
        (Verdict.FAILED, Stage.RUNTIME_ERROR, Failure.RUNTIME_ERROR),
        (Verdict.TIMED_OUT, Stage.BUILDING, Failure.NOT_HEALTHY_IN_TIME),
        (Verdict.RUNNING, Stage.RUNNING, None),
        (Verdict.NOT_RESTARTED, Stage.RUNNING, None),
    ],
)
def test_what_a_gate_verdict_means(verdict: Verdict, stage: Stage, failure: Failure | None) -> None:
    found = failure_of(GateResult(verdict, status(stage), 3.0), 60.0, "b" * 40)
    assert (found[0] if found else None) is failure
    if verdict is Verdict.TIMED_OUT:
        assert (
            found is not None and "timed out after 60s waiting for RUNNING on bbbbbbbbbbbb (stage BUILDING)" in found[1]
        )


def result(outcome: Outcome, failure: Failure | None, **more: object) -> SpaceResult:
    return SpaceResult(id="acme/demo", rung=Rung.UPLOAD, outcome=outcome, message="BUILD_ERROR: x", failure=failure,
                       **more)  # type: ignore[arg-type]  # fmt: skip


def test_advice_fits_the_failure() -> None:
    commit = (Write(kind=WriteKind.COMMIT, subject="b" * 40),)
    built = advice(result(Outcome.FAILED, Failure.BUILD_ERROR, written=commit)) or ""
    assert "will not fix it" in built and "converge" not in built
    rolled = result(
        Outcome.ROLLED_BACK, Failure.BUILD_ERROR, rollback_reason=RollbackReason.BUILD_ERROR, written=commit
    )
    assert "runs the previous commit" in result_message(rolled) and "did not build" in result_message(rolled)
    assert advice(result(Outcome.FAILED, Failure.HUB, written=commit)) == "run apply again to converge"
    assert advice(result(Outcome.FAILED, Failure.HUB)) is None  # nothing written: nothing to converge
    assert "verification" in (advice(result(Outcome.VERIFY_FAILED, Failure.VERIFY_FAILED)) or "")


def test_writes_are_worded_by_name_never_by_value() -> None:
    assert write_text(Write(kind=WriteKind.SECRET_SET, subject="TOKEN")) == "secret TOKEN"
    assert write_text(Write(kind=WriteKind.VARIABLE_DELETE, subject="MODE")) == "variable MODE (deleted)"
    assert write_text(Write(kind=WriteKind.ROLLBACK_COMMIT, subject="c" * 40)) == "rollback commit cccccccccccc"
    assert write_text(Write(kind=WriteKind.RESTART)) == "restart (hot reload fallback)"
