"""The wording of apply's typed results (writes, failures, rollbacks, advice) for every view:
the terminal table, JSON's message, the CI job summary. Nothing here is read back by code."""

from __future__ import annotations

from reconciler.results import Failure, Outcome, RollbackReason, SpaceResult, Write, WriteKind

_WRITES = {
    WriteKind.CREATE: "create",
    WriteKind.DELETE: "delete",
    WriteKind.HARDWARE: "hardware",
    WriteKind.SLEEP_TIME: "sleepTime",
    WriteKind.VARIABLE_SET: "variable",
    WriteKind.VARIABLE_DELETE: "variable",
    WriteKind.SECRET_SET: "secret",
    WriteKind.SECRET_DELETE: "secret",
    WriteKind.VOLUMES: "volumes",
    WriteKind.VISIBILITY: "visibility",
    WriteKind.DEV_MODE: "devMode",
    WriteKind.COMMIT: "commit",
    WriteKind.RESTART: "restart (hot reload fallback)",
    WriteKind.PAUSE: "paused",
    WriteKind.RESUME: "resumed",
    WriteKind.ROLLBACK_COMMIT: "rollback commit",
}
_DELETES = {WriteKind.VARIABLE_DELETE, WriteKind.SECRET_DELETE}
_SUBJECT_SHOWN = {
    WriteKind.HARDWARE,  # the flavor, sleep seconds, visibility and on/off: public settings
    WriteKind.SLEEP_TIME,
    WriteKind.VISIBILITY,
    WriteKind.DEV_MODE,
    WriteKind.VARIABLE_SET,
    WriteKind.VARIABLE_DELETE,
    WriteKind.SECRET_SET,
    WriteKind.SECRET_DELETE,
    WriteKind.COMMIT,
    WriteKind.ROLLBACK_COMMIT,
}
_SHAS = {WriteKind.COMMIT, WriteKind.ROLLBACK_COMMIT}

ROLLBACK_REASONS = {
    RollbackReason.BUILD_ERROR: "the new version did not build",
    RollbackReason.RUNTIME_ERROR: "the new version crashed at start",
    RollbackReason.VERIFY_FAILED: "the new version failed verification",
    RollbackReason.NOT_HEALTHY_IN_TIME: "the new version was not RUNNING in time",
}


def write_text(write: Write) -> str:
    """ "variable MODE", "commit 0123456789ab": names, never values."""
    word = _WRITES[write.kind]
    if write.kind not in _SUBJECT_SHOWN or write.subject is None:
        return word
    subject = write.subject[:12] if write.kind in _SHAS else write.subject
    return f"{word} {subject}" + (" (deleted)" if write.kind in _DELETES else "")


def advice(result: SpaceResult) -> str | None:
    """What to do next, chosen by the outcome and the failure's kind; None when nothing is needed."""
    failure = result.failure
    if result.outcome is Outcome.ROLLED_BACK:
        why = ROLLBACK_REASONS[result.rollback_reason] if result.rollback_reason else "the new version failed"
        fix = "fix the code" if result.rollback_reason is not RollbackReason.NOT_HEALTHY_IN_TIME else "find why"
        return f"rolled back: {why}; the Space runs the previous commit again. {fix.capitalize()}, then apply again"
    if result.outcome is Outcome.VERIFY_FAILED:
        return "the new version runs but failed verification: fix the app (or spec.verify), then apply again"
    if result.outcome is Outcome.COMMITTED:
        return None
    if result.outcome is not Outcome.FAILED or failure is None:
        return None
    if failure in (Failure.BUILD_ERROR, Failure.RUNTIME_ERROR):
        what = "does not build" if failure is Failure.BUILD_ERROR else "crashes at start"
        return f"the new version {what}: running apply again will not fix it; fix the code, then apply again"
    if failure is Failure.SECRET_UNAVAILABLE:
        return "provide the secret's value in this environment, then apply again"
    if failure is Failure.FILES_CHANGED:
        return "run plan again and review it"
    if not result.written:
        return None
    return "run apply again to converge"


def result_message(result: SpaceResult) -> str:
    """The one-paragraph account of a Space's result: detail, what was written, advice."""
    if result.outcome is Outcome.UNCHANGED:
        return "no changes"
    if result.outcome is Outcome.COMMITTED:
        return "committed; the Space has not restarted yet"
    if result.outcome is Outcome.APPLIED:
        return "applied"
    text = result.message
    if result.written:
        label = "written" if result.outcome is Outcome.ROLLED_BACK else "already written"
        text += f" ({label}: {', '.join(write_text(w) for w in result.written)})"
    tip = advice(result)
    return f"{text}; {tip}" if tip else text
