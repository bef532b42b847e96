"""The Rollback step (apply --rollback-on-failure): after the new version failed, commit the
previous files back and wait for them to run again. The original failure stands; the outcome
says the Space was rolled back, and why.
"""

from __future__ import annotations

from collections.abc import Callable

from reconciler.commit import remember_tree
from reconciler.gate import Verdict
from reconciler.model import FileChanges, ObservedSpace, RemoteFile
from reconciler.results import RollbackReason, SpaceFailed, WriteKind
from reconciler.runstate import Rollback, RunState


def restore_set(files: FileChanges, observed: ObservedSpace | None) -> tuple[list[RemoteFile], list[str]]:
    """The previous files to download and commit back (those modified or deleted), and the
    paths to delete (those added)."""
    before = {f.path: f for f in observed.files} if observed else {}
    restore = [before[f.path] for f in (*files.modified, *files.deleted) if f.path in before]
    return restore, [f.path for f in files.added]


def applies(run: RunState) -> RollbackReason | None:
    """Why this run rolls back; None when it does not (no failure, nothing committed, or a
    failure the previous files would not fix: a conflict, a Hub error)."""
    if run.failure is None or run.commit is None or run.entry.observed.sha is None:
        return None
    return RollbackReason.of(run.failure.failure)


def roll_back(run: RunState, reason: RollbackReason, wait: Callable[[RunState], None]) -> None:
    """`wait` is the health gate step, run again on the rolled-back commit."""
    assert run.commit is not None and run.entry.observed.sha is not None and run.failure is not None
    run.say("rolling back to the previous files")
    restore, deletions = restore_set(run.entry.files, run.observed)
    old = run.entry.observed.sha
    run.commit = run.writer.commit(
        additions=[run.writer.download(f, old) for f in restore],
        deletions=deletions,
        parent=run.commit,
        message=f"reconcile: roll back {run.entry.manifest or run.entry.id}",
        description=f"Rolled back by spaces-reconciler: {reason.value}.",
        hot_reload=False,
    )
    run.wrote(WriteKind.ROLLBACK_COMMIT, run.commit, restarts=True)
    remember_tree(run, deletions)
    run.rollback = Rollback(reason, run.commit)
    run.reloaded = False
    try:
        wait(run)
    except SpaceFailed as again:
        run.say(f"the rolled-back version did not come up either: {again}")
        run.rollback.verdict = Verdict.FAILED
        return
    run.rollback.verdict = run.verdict
