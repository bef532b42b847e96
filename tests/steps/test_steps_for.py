"""steps_for: the ordered steps of apply, pinned without a Hub.

Each case builds a plan entry with the real planner from a desired and an observed Space;
its steps, worded as the plan shows them, are compared with tests/steps/golden/<case>.txt
(UPDATE_GOLDEN=1 rewrites them, tests/golden.py).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

import pytest

from reconciler.diff import SecretProbe
from reconciler.model import (
    OWNERSHIP_TAG,
    CheckSecrets,
    Commit,
    CreateSpace,
    DeleteSpace,
    DesiredSpace,
    Expectation,
    ExpectKind,
    ObservedSpace,
    Pause,
    PlanEntry,
    Resume,
    Rollback,
    SetHardware,
    SetSecrets,
    SetVariables,
    SetVolumes,
    SmokeCall,
    Step,
    Verify,
    VerifyHotReload,
    VerifySpec,
    Volume,
    WaitHealthy,
)
from reconciler.planner import Pair, plan_pair
from reconciler.render.words import step_text
from reconciler.steps import steps_for
from tests.builders import DEFAULT_FILES, desired, observed_like, remote_files
from tests.golden import check_golden

GOLDEN = Path(__file__).parent / "golden"
NEW_APP = {**DEFAULT_FILES, "app.py": "print('new')\n"}


Case = tuple[PlanEntry, DesiredSpace | None]


def entry_for(
    want: DesiredSpace | None, have: ObservedSpace | None, probes: dict[str, SecretProbe] | None = None
) -> Case:
    space_id = want.id if want is not None else have.id if have is not None else ""
    return plan_pair(Pair(space_id, want, have, probes or {}), {}, has_key=False), want


def pause_with_an_edit() -> Case:
    want = desired(paused=True, files=NEW_APP)
    return entry_for(want, observed_like(want, stage="RUNNING", files=remote_files(DEFAULT_FILES)))


def resume_with_an_edit() -> Case:
    want = desired(paused=False, files=NEW_APP)
    return entry_for(want, observed_like(want, stage="PAUSED", files=remote_files(DEFAULT_FILES)))


def settings_of_every_kind() -> Case:
    want = desired(
        hardware="t4-small",
        sleep_time=3600,
        visibility="private",
        dev_mode=True,
        variables={"A": "1"},
        secrets={"TOKEN": "TOKEN_ENV"},
        volumes=(Volume(type="bucket", source="acme/data", mount_path="/data"),),
    )
    have = observed_like(
        want,
        hardware="cpu-basic",
        sleep_time=600,
        visibility="public",
        dev_mode=False,
        variables={},
        secrets={},
        volumes=(),
    )
    return entry_for(want, have, {"TOKEN": SecretProbe(available=True)})


def hot_reload() -> Case:
    want = desired(files=NEW_APP)
    return entry_for(want, observed_like(want, files=remote_files(DEFAULT_FILES)))


def create_paused_with_volumes() -> Case:
    want = desired(
        paused=True,
        secrets={"TOKEN": "TOKEN_ENV"},
        variables={"MODE": "demo"},
        volumes=(Volume(type="bucket", source="acme/data", mount_path="/data"),),
    )
    return entry_for(want, None, {"TOKEN": SecretProbe(available=True)})


SPEC = VerifySpec(
    forbid=("falling back to CPU",),
    expect=("Model loaded",),
    endpoints=("/generate", "/predict"),
    smoke=(
        SmokeCall(
            api="/generate",
            args={"prompt": "a red square"},
            expect=Expectation(kind=ExpectKind.MIME, value="image/png"),
        ),
        SmokeCall(api="/predict", args=("hello",)),
    ),
)


def create_with_verification() -> Case:
    return entry_for(desired(verify=SPEC), None)


def upload_with_verification() -> Case:
    want = desired(verify=VerifySpec(smoke=(SmokeCall(api="/greet", args={"name": "Ada"}),)),
                   files={**NEW_APP, "data.txt": "x\n"})  # fmt: skip
    return entry_for(want, observed_like(want, files=remote_files(DEFAULT_FILES)))


def delete() -> Case:
    orphan = observed_like(desired("acme/orphan"), card={"tags": [OWNERSHIP_TAG]})
    return entry_for(None, orphan)


CASES: dict[str, Callable[[], Case]] = {
    "pause-with-an-edit": pause_with_an_edit,
    "resume-with-an-edit": resume_with_an_edit,
    "settings-of-every-kind": settings_of_every_kind,
    "hot-reload": hot_reload,
    "create-paused-with-volumes": create_paused_with_volumes,
    "delete": delete,
    "create-with-verification": create_with_verification,
    "upload-with-verification": upload_with_verification,
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_golden(case: str) -> None:
    entry, _ = CASES[case]()
    text = "".join(f"{n}. {step_text(step)}\n" for n, step in enumerate(entry.steps, start=1))
    check_golden(GOLDEN / f"{case}.txt", text)


def kinds(steps: Iterable[Step]) -> list[type]:
    return [type(step) for step in steps]


@pytest.mark.parametrize("case", sorted(CASES))
def test_the_plan_carries_the_steps_apply_takes(case: str) -> None:
    entry, want = CASES[case]()
    assert list(entry.steps) == steps_for(entry, want)


def test_a_pause_with_an_edit_commits_then_pauses_and_never_restarts() -> None:
    # Bug 1: a hot reload was verified, its fallback restart un-paused the Space.
    steps = pause_with_an_edit()[0].steps
    assert [type(s) for s in steps][-2:] == [Commit, Pause]
    assert not any(isinstance(s, (VerifyHotReload, Resume, WaitHealthy)) for s in steps)
    assert isinstance(steps[-2], Commit) and not steps[-2].hot_reload


def test_a_resume_comes_after_the_commit_so_the_space_starts_once_on_the_new_files() -> None:
    assert kinds(resume_with_an_edit()[0].steps)[-3:] == [Commit, Resume, WaitHealthy]


def test_settings_come_in_one_fixed_order_before_any_commit() -> None:
    steps = settings_of_every_kind()[0].steps
    assert isinstance(steps[0], CheckSecrets) and steps[0].names == ("TOKEN",)
    assert kinds(steps)[1:5] == [SetHardware, SetVariables, SetSecrets, SetVolumes]
    assert isinstance(steps[1], SetHardware) and steps[1].sleep_time == 3600  # one write for both
    assert kinds(steps)[-1] is WaitHealthy


def test_create_reads_secrets_first_and_pauses_last() -> None:
    steps = create_paused_with_volumes()[0].steps
    assert isinstance(steps[0], CheckSecrets)
    assert isinstance(steps[2], CreateSpace) and steps[2].secrets == ("TOKEN",)
    assert kinds(steps)[-2:] == [Commit, Pause]  # a Space cannot be created paused


def test_delete_is_one_step() -> None:
    assert list(delete()[0].steps) == [DeleteSpace()]


def test_rollback_only_when_asked_and_only_after_the_gate_of_a_commit() -> None:
    entry, want = hot_reload()
    assert Rollback() not in steps_for(entry, want)
    with_rollback = steps_for(entry, want, rollback=True)
    assert kinds(with_rollback)[-2:] == [WaitHealthy, Rollback]
    assert Rollback() not in steps_for(*settings_of_every_kind(), rollback=True)


def test_verification_follows_the_gate_one_step_per_check_in_the_order_verify_runs_them() -> None:
    steps = create_with_verification()[0].steps
    checks = [(s.check, s.targets, s.call) for s in steps if isinstance(s, Verify)]
    assert checks == [
        ("logs.expect", ("Model loaded",), None),
        ("endpoints", ("/generate", "/predict"), None),
        ("smoke", ("/generate",), 0),
        ("smoke", ("/predict",), 1),
        ("logs.forbid", ("falling back to CPU",), None),
    ]
    assert kinds(steps).index(WaitHealthy) == kinds(steps).index(Verify) - 1
    assert "a red square" not in repr(steps)  # smoke arguments stay in the manifest (user data)


def test_a_rollback_comes_after_verification_so_a_failed_check_rolls_back_too() -> None:
    entry, want = upload_with_verification()
    assert kinds(steps_for(entry, want, rollback=True))[-3:] == [WaitHealthy, Verify, Rollback]


def test_no_verification_without_a_gate() -> None:
    # A paused Space runs nothing to verify; a quiet setting restarts nothing.
    want = desired(paused=True, files=NEW_APP, verify=SPEC)
    entry, _ = entry_for(want, observed_like(want, stage="RUNNING", files=remote_files(DEFAULT_FILES)))
    assert not any(isinstance(s, Verify) for s in entry.steps)
    quiet = desired(visibility="private", verify=SPEC)
    entry, _ = entry_for(quiet, observed_like(quiet, visibility="public"))
    assert entry.steps and not any(isinstance(s, Verify) for s in entry.steps)
