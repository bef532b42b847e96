"""`apply --plan`: refuse a reviewed plan that no longer describes the Hub or the manifests."""

from __future__ import annotations

from reconciler.model import DesiredSpace, Plan, PlanEntry, SourceFile


def stale_entries(reviewed: Plan, fresh: Plan) -> list[str]:
    """Why each reviewed entry is stale, compared with a plan made just now; empty when none is."""
    now = {entry.id: entry for entry in fresh.spaces}
    problems = []
    for entry in reviewed.spaces:
        current = now.get(entry.id)
        if current is None:
            problems.append(f"{entry.id}: no longer planned (manifest removed or selection changed)")
        elif current.observed != entry.observed:
            what = "sha" if current.observed.sha != entry.observed.sha else "settings"
            problems.append(f"{entry.id}: its {what} changed on the Hub since the plan was made")
        elif (current.changes, current.files) != (entry.changes, entry.files):
            problems.append(f"{entry.id}: the manifests or files changed since the plan was made")
        elif current.rung != entry.rung:
            # Same differences, another rung: the Space's runtime moved on (e.g. it finished building).
            problems.append(
                f"{entry.id}: its runtime changed on the Hub since the plan was made "
                f"(rung {entry.rung.value} -> {current.rung.value})"
            )
    return problems


def changed_since_plan(entry: PlanEntry, desired: DesiredSpace) -> tuple[list[SourceFile], str | None]:
    """The files to commit, by path (the commit streams them from disk), and the first one that
    is no longer the content the plan reviewed (None when all are)."""
    by_path = {f.path: f for f in desired.files}
    files: list[SourceFile] = []
    for planned in sorted((*entry.files.added, *entry.files.modified), key=lambda f: f.path):
        source = by_path.get(planned.path)
        if source is None or (planned.oid is not None and source.blob_id != planned.oid):
            return files, planned.path
        files.append(source)
    return files, None
