"""Plan entry -> the ordered steps apply takes for one Space. Pure: no I/O, no Hub.

All ordering rules live here, so the plan can show them and tests can pin them:
- checks that need no write come first (secret values readable, files as reviewed);
- settings before files, so a rebuild picks them up and the Space restarts once;
- one commit; a hot reload is verified, falling back to a restart;
- pause and resume come after the commit: a paused Space takes the new files without running
  them, and a resumed one starts once, on the new files;
- the health gate last, unless the Space ends paused; then one Verify step per check of
  spec.verify, in the order `reconcile verify` runs them; rollback only after a failed gate
  or check.
"""

from __future__ import annotations

from reconciler.model import (
    Action,
    CheckFiles,
    CheckSecrets,
    Commit,
    CreateSpace,
    DeleteSpace,
    DesiredSpace,
    Pause,
    PlanEntry,
    Resume,
    Rollback,
    Rung,
    SetDevMode,
    SetHardware,
    SetSecrets,
    SetSleepTime,
    SetVariables,
    SetVisibility,
    SetVolumes,
    Step,
    Verify,
    VerifyHotReload,
    WaitHealthy,
)
from reconciler.verify.expect import describe

SECRETS = "spec.secrets."
VARIABLES = "spec.variables."


def steps_for(entry: PlanEntry, desired: DesiredSpace | None, *, rollback: bool = False) -> list[Step]:
    """The steps for `entry`; `rollback` (apply --rollback-on-failure) adds a Rollback after the gate."""
    if entry.rung is Rung.NONE:
        return []
    if entry.rung is Rung.DELETE:
        return [DeleteSpace()]
    assert desired is not None, f"{entry.id}: a {entry.rung.value} needs its manifest"
    steps: list[Step] = _checks(entry, desired)
    steps += _create(entry, desired) if entry.action is Action.CREATE else _settings(entry, desired)
    files = entry.files
    if files:
        hot = entry.rung is Rung.HOT_RELOAD
        steps.append(Commit(hot_reload=hot, files=len(files.added) + len(files.modified), deletions=files.deletions))
        if hot:
            steps.append(VerifyHotReload())
    steps += _pause_or_resume(entry, desired)
    if not desired.paused and (files or entry.restarts > 0 or entry.action is Action.CREATE):
        steps.append(WaitHealthy())
        steps += _verify(desired)
        if rollback and files and entry.action is Action.UPDATE:
            steps.append(Rollback())
    return steps


def _checks(entry: PlanEntry, desired: DesiredSpace) -> list[Step]:
    written = tuple(
        sorted(c.path.removeprefix(SECRETS) for c in entry.changes if c.path.startswith(SECRETS) and c.after)
    )
    checks: list[Step] = [CheckSecrets(names=written)] if written else []
    if entry.files.added or entry.files.modified:
        checks.append(CheckFiles())
    return checks


def _create(entry: PlanEntry, desired: DesiredSpace) -> list[Step]:
    steps: list[Step] = [
        CreateSpace(
            sdk=desired.sdk,
            hardware=desired.hardware,
            sleep_time=desired.sleep_time,
            visibility=desired.visibility,
            variables=dict(sorted(desired.variables.items())),
            secrets=tuple(sorted(desired.secrets)),
        )
    ]
    if desired.volumes:
        steps.append(SetVolumes(volumes=desired.volumes))
    if desired.dev_mode:
        steps.append(SetDevMode(enabled=True))
    return steps


def _settings(entry: PlanEntry, desired: DesiredSpace) -> list[Step]:
    changed = {c.path: c for c in entry.changes}
    steps: list[Step] = []
    if "spec.hardware" in changed:
        steps.append(SetHardware(flavor=desired.hardware, sleep_time=desired.sleep_time))
    elif "spec.sleepTime" in changed and desired.sleep_time is not None:
        steps.append(SetSleepTime(seconds=desired.sleep_time))
    variables = {p.removeprefix(VARIABLES): c for p, c in sorted(changed.items()) if p.startswith(VARIABLES)}
    if variables:
        steps.append(
            SetVariables(
                set={k: str(c.after) for k, c in variables.items() if c.after is not None},
                delete=tuple(k for k, c in variables.items() if c.after is None),
            )
        )
    secrets = {p.removeprefix(SECRETS): c for p, c in sorted(changed.items()) if p.startswith(SECRETS)}
    if secrets:
        steps.append(
            SetSecrets(
                set=tuple(k for k, c in secrets.items() if c.after is not None),
                delete=tuple(k for k, c in secrets.items() if c.after is None),
            )
        )
    if any(p.startswith("spec.volumes.") for p in changed):
        steps.append(SetVolumes(volumes=desired.volumes))
    if "spec.visibility" in changed:
        steps.append(SetVisibility(visibility=desired.visibility))
    if "spec.devMode" in changed:
        steps.append(SetDevMode(enabled=desired.dev_mode))
    return steps


def _pause_or_resume(entry: PlanEntry, desired: DesiredSpace) -> list[Step]:
    if entry.action is Action.CREATE:
        # A Space cannot be created paused: it is paused once it has its files.
        return [Pause()] if desired.paused else []
    if not any(c.path == "spec.paused" for c in entry.changes):
        return []
    return [Pause()] if desired.paused else [Resume()]


def _verify(desired: DesiredSpace) -> list[Step]:
    """Verification of the new version: logs.expect first (an app may need time to load),
    then the API, each smoke call, and logs.forbid last (over what the calls logged too)."""
    spec = desired.verify
    if spec is None:
        return []
    steps: list[Step] = [Verify(check="logs.expect", targets=spec.expect)] if spec.expect else []
    if spec.endpoints:
        steps.append(Verify(check="endpoints", targets=spec.endpoints))
    steps += [
        Verify(check="smoke", targets=(call.api,), call=index, expect=describe(call.expect))
        for index, call in enumerate(spec.smoke)
    ]
    if spec.forbid:
        steps.append(Verify(check="logs.forbid", targets=spec.forbid))
    return steps
