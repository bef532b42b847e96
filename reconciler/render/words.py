"""The wording of typed decisions (rung reasons, hot-reload blockers, apply steps) for every view.

Decisions are values everywhere else; this is the one place that turns them into English.
"""

from __future__ import annotations

from collections.abc import Iterable

from reconciler.model import Blocker, BlockerCode, Reason, ReasonCode


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


def reason_text(reason: Reason) -> str:
    code, subjects = reason.code, reason.subjects
    groups = ", ".join(subjects)
    if code is ReasonCode.SETTINGS_RESTART:
        return f"{groups} changed -> settings (the Hub restarts the Space once)"
    if code is ReasonCode.SETTINGS_START:
        return f"{groups} changed -> settings (the Space starts again)"
    if code is ReasonCode.SETTINGS_STOP:
        return f"{groups} changed -> settings (the Space stops)"
    if code is ReasonCode.SETTINGS_QUIET:
        return f"{groups} changed -> settings (no restart)"
    if code is ReasonCode.REBUILD:
        return f"{names(subjects)} changed -> rebuild"
    if code is ReasonCode.HOT_RELOAD:
        return f"{names(subjects)} changed; only Python files changed on gradio {reason.detail} -> hot reload"
    if code is ReasonCode.UPLOAD:
        blocker = blocker_text(reason.blocker) if reason.blocker else "not a hot reload"
        return f"{names(subjects)} changed; {blocker} -> upload"
    if code is ReasonCode.CREATE:
        return "the Space does not exist -> create"
    if code is ReasonCode.PRUNE:
        return "managed by spaces-reconciler but in no manifest; --prune given -> delete"
    return reason.detail or ""


def reasons_text(reasons: Iterable[Reason]) -> list[str]:
    return [reason_text(r) for r in reasons]
