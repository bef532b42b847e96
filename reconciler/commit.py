"""The file steps of apply: check the files are those reviewed, then one commit of them.

The commit's parent is the sha the plan observed, so a Space changed on the Hub since is a
conflict, never an overwrite.
"""

from __future__ import annotations

from reconciler.errors import SourceFileRefused
from reconciler.model import Action, CheckFiles, Commit
from reconciler.results import Failure, SpaceFailed, WriteKind
from reconciler.runstate import RunState
from reconciler.stale import changed_since_plan


def check_files(run: RunState, step: CheckFiles) -> None:
    assert run.desired is not None
    files, changed = changed_since_plan(run.entry, run.desired)
    if changed is not None:
        raise SpaceFailed(f"{changed} changed on disk since the plan was made; run plan again", Failure.FILES_CHANGED)
    run.additions = files


def commit(run: RunState, step: Commit) -> None:
    entry = run.entry
    deletions = [*(f.path for f in entry.files.deleted), *run.seeded]
    run.say(f"committing {len(run.additions)} file(s), {len(deletions)} deletion(s)")
    try:
        run.commit = run.writer.commit(
            additions=run.additions,
            deletions=deletions,
            parent=entry.observed.sha if entry.action is Action.UPDATE else None,
            message=f"reconcile: apply {entry.manifest or entry.id}",
            description=f"Applied by spaces-reconciler from {run.options.plan_label} (rung {entry.rung.value}).",
            hot_reload=step.hot_reload,
        )
    except SourceFileRefused as refused:  # checked again as the files were handed over: no commit
        raise SpaceFailed(str(refused), Failure.FILES_CHANGED) from None
    run.wrote(WriteKind.COMMIT, run.commit, restarts=not step.hot_reload)
    remember_tree(run, deletions)


def remember_tree(run: RunState, deletions: list[str]) -> None:
    """Write the new commit's tree to the tree cache from what it sent, so the next plan need not
    read it: the parent's files, minus the deletions, plus each addition as the Hub stored it.
    Only for a commit whose parent tree is known (an update, not a new Space's first commit)."""
    stored = run.writer.stored
    if run.tree is None or stored is None or run.commit is None:
        run.tree = None
        return
    gone = set(deletions)
    tree = {path: f for path, f in run.tree.items() if path not in gone}
    tree.update((f.path, f) for f in stored)
    run.tree = tree
    if run.cache is not None:
        run.cache.put(run.commit, tuple(sorted(tree.values(), key=lambda f: f.path)), derived=True)
