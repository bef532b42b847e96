"""The setting steps of apply: read secret values, create or delete, one write per setting, pause, resume.

Each handler makes its Hub writes through the Space's writer and records each one in the run
(reconciler/runstate.py). Which settings restart the Space follows model.SETTING_EFFECTS.
"""

from __future__ import annotations

import functools

from reconciler import secrets
from reconciler.diff import SERVER_OWNED_FILES, merge_volumes
from reconciler.manifests.secrets import resolve_all
from reconciler.model import (
    Action,
    CheckSecrets,
    CreateSpace,
    DeleteSpace,
    DesiredSpace,
    Pause,
    Resume,
    SetDevMode,
    SetHardware,
    SetSecrets,
    SetSleepTime,
    SetVariables,
    SetVisibility,
    SetVolumes,
)  # fmt: skip
from reconciler.results import Failure, SpaceFailed, WriteKind
from reconciler.runstate import RunState


def check_secrets(run: RunState, step: CheckSecrets) -> None:
    assert run.desired is not None
    run.values, missing = resolve_all(run.desired.secrets, step.names)
    if missing:
        raise SpaceFailed(
            f"secret value not available here: {', '.join(missing)}; nothing was written", Failure.SECRET_UNAVAILABLE
        )


def _described(run: RunState, name: str, hub_time: int) -> str:
    """`hub_time` is the Hub's clock at the write (the writer reads it from the Hub's responses,
    hub/clock.py), never this machine's: the Hub compares it with the `updatedAt` it stamps."""
    return secrets.description_for(run.space_id, name, run.values[name], hub_time)


def seeded(desired: DesiredSpace | None, paths: tuple[str, ...]) -> list[str]:
    """Files the Hub put in a new Space that git does not have: a static Space starts with
    index.html and style.css (hub-contract §13), which the first commit removes."""
    if desired is None or desired.sdk != "static":
        return []
    wanted = {f.path for f in desired.files} | SERVER_OWNED_FILES
    return [path for path in paths if path not in wanted]


def create(run: RunState, step: CreateSpace) -> None:
    run.say("creating")
    run.writer.create(
        sdk=step.sdk,
        hardware=step.hardware,
        sleep_time=step.sleep_time,
        visibility=step.visibility,
        secrets={k: run.values[k] for k in step.secrets},
        describe=functools.partial(_described, run),
        variables=[{"key": k, "value": v} for k, v in step.variables.items()],
    )
    run.wrote(WriteKind.CREATE, restarts=True)
    # The creation call carries them: the record names each, as a later set would (values never).
    for key in step.variables:
        run.wrote(WriteKind.VARIABLE_SET, key)
    for key in step.secrets:
        run.wrote(WriteKind.SECRET_SET, key)
    if run.desired is not None and run.desired.sdk == "static":
        run.seeded = seeded(run.desired, run.writer.paths())


def delete(run: RunState, step: DeleteSpace) -> None:
    run.say("deleting")
    run.writer.delete()
    run.wrote(WriteKind.DELETE)


def set_hardware(run: RunState, step: SetHardware) -> None:
    run.say(f"hardware -> {step.flavor}")
    run.writer.set_hardware(step.flavor, step.sleep_time)
    run.wrote(WriteKind.HARDWARE, step.flavor, restarts=True)


def set_sleep_time(run: RunState, step: SetSleepTime) -> None:
    run.writer.set_sleep_time(step.seconds)
    run.wrote(WriteKind.SLEEP_TIME, str(step.seconds))


def set_variables(run: RunState, step: SetVariables) -> None:
    for key, value in step.set.items():
        run.writer.set_variable(key, value)
        run.wrote(WriteKind.VARIABLE_SET, key, restarts=True)
    for key in step.delete:
        run.writer.delete_variable(key)
        run.wrote(WriteKind.VARIABLE_DELETE, key, restarts=True)


def set_secrets(run: RunState, step: SetSecrets) -> None:
    for key in step.set:
        run.writer.set_secret(key, run.values[key], functools.partial(_described, run, key))
        run.wrote(WriteKind.SECRET_SET, key, restarts=True)
    for key in step.delete:
        run.writer.delete_secret(key)
        run.wrote(WriteKind.SECRET_DELETE, key, restarts=True)


def set_volumes(run: RunState, step: SetVolumes) -> None:
    live = run.writer.volumes() if run.entry.action is Action.UPDATE else ()
    run.writer.set_volumes(merge_volumes(live, step.volumes))
    run.wrote(WriteKind.VOLUMES, restarts=True)


def set_visibility(run: RunState, step: SetVisibility) -> None:
    run.writer.set_visibility(step.visibility)
    run.wrote(WriteKind.VISIBILITY, step.visibility)


def set_dev_mode(run: RunState, step: SetDevMode) -> None:
    run.writer.set_dev_mode(step.enabled)
    run.wrote(WriteKind.DEV_MODE, "on" if step.enabled else "off", restarts=True)


def pause(run: RunState, step: Pause) -> None:
    run.writer.pause()
    run.wrote(WriteKind.PAUSE)


def resume(run: RunState, step: Resume) -> None:
    run.writer.restart()
    run.wrote(WriteKind.RESUME, restarts=True)
