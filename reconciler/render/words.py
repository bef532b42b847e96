"""The wording of typed decisions (rung reasons, hot-reload blockers, apply steps) for every view.

Decisions are values everywhere else; this is the one place that turns them into English.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from reconciler.model import (
    Blocker,
    BlockerCode,
    CheckFiles,
    CheckSecrets,
    Commit,
    CreateSpace,
    FileChanges,
    Orphan,
    Pause,
    Reason,
    ReasonCode,
    Resume,
    Rollback,
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


def names(items: Iterable[str], limit: int = 3) -> str:
    ordered = sorted(items)
    shown = ", ".join(ordered[:limit])
    return shown + (f" and {len(ordered) - limit} more" if len(ordered) > limit else "")


def blocker_text(blocker: Blocker) -> str:
    code, subjects, detail = blocker.code, blocker.subjects, blocker.detail
    if code is BlockerCode.FILES_DELETED:
        return f"{names(subjects)} deleted"
    if code is BlockerCode.NOT_PYTHON:
        return f"{names(subjects)} not Python"
    if code is BlockerCode.NOT_GRADIO:
        return f"SDK is {detail}, hot reload needs gradio"
    if code is BlockerCode.OLD_GRADIO:
        return f"gradio {detail or '(unpinned)'} is older than 6.1"
    if code is BlockerCode.NOT_RUNNING:
        return f"the Space is not RUNNING (stage {detail})"
    if code is BlockerCode.SETTINGS_PAUSE:
        return "the Space is paused or resumed in the same change"
    return "the settings change restarts the Space anyway"


def _unnamed_blocker_text(blocker: Blocker) -> str:
    """Why not a hot reload, beside a list that already says what happened to each file."""
    if blocker.code is BlockerCode.FILES_DELETED:
        return "a hot reload cannot delete files"
    if blocker.code is BlockerCode.NOT_PYTHON:
        return "a hot reload takes only Python files"
    return blocker_text(blocker)


FILE_VERBS = ("added", "modified", "changed", "deleted")
# Beside a starter file the plan lists (FileChanges.starter): the Hub's content, not git's.
STARTER_NOTE = "the Hub's starter file"


def subjects_text(subjects: Iterable[str], files: FileChanges | None = None, blocker: Blocker | None = None) -> str:
    """Each subject once, with what happened to it: "style.css added, old.py deleted".

    The plan's file lists say added / modified / deleted; without them (a plan file from an
    older version) a files-deleted blocker still tells which ones were deleted.
    """
    kinds: dict[str, str] = {}
    if files is not None and files:
        for verb, entries in (("added", files.added), ("modified", files.modified), ("deleted", files.deleted)):
            kinds.update((f.path, verb) for f in entries)
    elif blocker is not None and blocker.code is BlockerCode.FILES_DELETED:
        kinds.update((path, "deleted") for path in blocker.subjects)
    groups: dict[str, list[str]] = {verb: [] for verb in FILE_VERBS}
    for subject in subjects:
        groups[kinds.get(subject, "changed")].append(subject)
    return ", ".join(f"{names(paths)} {verb}" for verb, paths in groups.items() if paths)


# What each kind of settings reason does to the Space, in the words "X changed -> settings (...)" end with.
_SETTINGS_EFFECT = {
    ReasonCode.SETTINGS_RESTART: "the Hub restarts the Space once",
    ReasonCode.SETTINGS_START: "the Space starts again",
    ReasonCode.SETTINGS_STOP: "the Space stops",
    ReasonCode.SETTINGS_QUIET: "no restart",
}


def reason_text(reason: Reason, files: FileChanges | None = None) -> str:
    code, subjects = reason.code, reason.subjects
    if effect := _SETTINGS_EFFECT.get(code):
        return f"{', '.join(subjects)} changed -> settings ({effect})"
    if code is ReasonCode.REBUILD:
        return f"{subjects_text(subjects, files)} -> rebuild"
    if code is ReasonCode.HOT_RELOAD:
        what = subjects_text(subjects, files)
        return f"{what}; only Python files changed on gradio {reason.detail} -> hot reload"
    if code is ReasonCode.UPLOAD:
        blocker = _unnamed_blocker_text(reason.blocker) if reason.blocker else "not a hot reload"
        return f"{subjects_text(subjects, files, reason.blocker)} -> upload ({blocker})"
    if code is ReasonCode.CREATE:
        return "the Space does not exist -> create"
    if code is ReasonCode.PRUNE:
        return "managed by spaces-reconciler but in no manifest; --prune given -> delete"
    return reason.detail or ""


def reasons_text(reasons: Iterable[Reason], files: FileChanges | None = None) -> list[str]:
    """The reasons in words; `files` (the entry's file changes) says what happened to each file."""
    return [reason_text(r, files) for r in reasons]


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def step_text(step: Step) -> str:
    """One apply step as the plan and the progress lines word it."""
    if isinstance(step, CheckSecrets):
        return f"read the secret values to write ({', '.join(step.names)})"
    if isinstance(step, CheckFiles):
        return "check the files are still those reviewed"
    if isinstance(step, CreateSpace):
        return f"create the Space ({step.sdk}, {step.hardware}, {step.visibility})"
    if isinstance(step, SetHardware):
        return f"set hardware {step.flavor}"
    if isinstance(step, SetSleepTime):
        return f"set sleep time {step.seconds}"
    if isinstance(step, (SetVariables, SetSecrets)):
        kind = "variables" if isinstance(step, SetVariables) else "secrets"
        parts = [f"set {', '.join(step.set)}"] if step.set else []
        parts += [f"delete {', '.join(step.delete)}"] if step.delete else []
        return f"{kind}: {'; '.join(parts)}"
    if isinstance(step, SetVolumes):
        return f"mount {_plural(len(step.volumes), 'declared volume')}"
    if isinstance(step, SetVisibility):
        return f"set visibility {step.visibility}"
    if isinstance(step, SetDevMode):
        return f"turn dev mode {'on' if step.enabled else 'off'}"
    if isinstance(step, Commit):
        what = f"commit {_plural(step.files, 'file')}, {_plural(step.deletions, 'deletion')}"
        return what + (" as a hot reload" if step.hot_reload else "")
    if isinstance(step, VerifyHotReload):
        return f"confirm the hot reload on every replica, else {step.fallback}"
    if isinstance(step, Pause):
        return "pause"
    if isinstance(step, Resume):
        return "resume (restart)"
    if isinstance(step, WaitHealthy):
        return "wait until the new version runs, then check it is RUNNING"
    if isinstance(step, Verify):
        return verify_step_text(step)
    if isinstance(step, Rollback):
        return "if it failed: commit the previous files back"
    return "delete the Space"


def verify_step_text(step: Verify) -> str:
    listed = ", ".join(step.targets)
    if step.check == "logs.expect":
        return f"verify: the run log shows {listed}"
    if step.check == "endpoints":
        return f"verify: the API has {listed}"
    if step.check == "smoke":
        return f"verify: call {listed}" + (f", expect {step.expect}" if step.expect else ", expect no error")
    return f"verify: no run log line matches {listed}"


PRUNE_REFUSAL_HINT = "restore the manifest, or set preventDestroy: false and apply before pruning"


def prune_refusal_text(protected: Sequence[str]) -> str:
    """The one wording of the preventDestroy refusal, in the error of `--prune` and in the
    orphans note of a plan without it."""
    they = "it carries" if len(protected) == 1 else "they carry"
    return f"--prune refuses to delete {', '.join(protected)}: {they} lifecycle.preventDestroy"


def orphans_text(orphans: Sequence[Orphan]) -> str:
    """What a plan made without --prune says about managed Spaces that have no manifest."""
    ids = ", ".join(o.id for o in orphans)
    text = (
        f"{_plural(len(orphans), 'Space')} in the watched namespaces "
        f"{'carries' if len(orphans) == 1 else 'carry'} the spaces-reconciler marker but "
        f"{'has' if len(orphans) == 1 else 'have'} no manifest ({ids})"
    )
    protected = [o.id for o in orphans if o.prevent_destroy]
    if not protected:
        return text + f"; --prune would delete {'it' if len(orphans) == 1 else 'them'}."
    # A refused prune writes nothing, so the others are not deleted either.
    deletes_none = "" if len(protected) == len(orphans) else ", and deletes none of them while it does"
    return f"{text}. {prune_refusal_text(protected)}{deletes_none}."
