"""`apply --plan`: refuse a reviewed plan that no longer describes the Hub or the manifests.

Each finding is a value (which Space, what moved, which fields, files or secrets); the
renderer words it (reconciler/render/stale_text.py). Secrets are named, never valued.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from reconciler.model import Change, DesiredSpace, FileChanges, Plan, PlanEntry, Rung, SecretState, SourceFile

SECRETS = "spec.secrets."


class StaleCause(str, enum.Enum):
    GONE = "gone"  # the Space is no longer planned (manifest removed, selection changed)
    SHA = "sha"  # someone committed to the Space on the Hub
    SETTINGS = "settings"  # its settings changed on the Hub
    FIELDS = "fields"  # subjects: manifest fields whose planned change differs
    SECRET_VALUES = "secret-values"  # subjects: secret names whose value compares differently now
    FILES = "files"  # subjects: file paths whose planned change differs
    RUNTIME = "runtime"  # same differences, another rung: the runtime moved on (rungs: reviewed, fresh)


@dataclass(frozen=True)
class Stale:
    space_id: str
    cause: StaleCause
    subjects: tuple[str, ...] = ()
    rungs: tuple[Rung, Rung] | None = None


def stale_entries(reviewed: Plan, fresh: Plan) -> list[Stale]:
    """Why each reviewed entry is stale, compared with a plan made just now; empty when none is."""
    now = {entry.id: entry for entry in fresh.spaces}
    problems: list[Stale] = []
    for entry in reviewed.spaces:
        current = now.get(entry.id)
        if current is None:
            problems.append(Stale(entry.id, StaleCause.GONE))
        elif current.observed != entry.observed:
            cause = StaleCause.SHA if current.observed.sha != entry.observed.sha else StaleCause.SETTINGS
            problems.append(Stale(entry.id, cause))
        elif (current.changes, current.files) != (entry.changes, entry.files):
            problems += _what_changed(entry, current)
        elif current.rung != entry.rung:
            problems.append(Stale(entry.id, StaleCause.RUNTIME, rungs=(entry.rung, current.rung)))
    return problems


def _what_changed(reviewed: PlanEntry, current: PlanEntry) -> list[Stale]:
    before = {c.path: c for c in reviewed.changes}
    after = {c.path: c for c in current.changes}
    fields, secrets = [], []
    for path in sorted(before.keys() | after.keys()):
        if before.get(path) == after.get(path):
            continue
        if path.startswith(SECRETS) and _value_only(before.get(path), after.get(path)):
            secrets.append(path.removeprefix(SECRETS))
        else:
            fields.append(path)
    found = []
    if fields:
        found.append(Stale(reviewed.id, StaleCause.FIELDS, tuple(fields)))
    if secrets:
        found.append(Stale(reviewed.id, StaleCause.SECRET_VALUES, tuple(secrets)))
    if files := _files(reviewed.files, current.files):
        found.append(Stale(reviewed.id, StaleCause.FILES, files))
    return found


# The secret is declared on both sides of both plans: only how its value compares moved.
_DECLARED_BOTH = frozenset(
    {SecretState.CHANGED, SecretState.UNCHANGED, SecretState.CHANGED_OUTSIDE, SecretState.UNKNOWN}
)


def _value_only(before: Change | None, after: Change | None) -> bool:
    """A plan lists no change for a secret whose value matches: a missing side is unchanged.
    The same change with another planned fingerprint (a secret being added, say) is the value too."""
    if before is not None and after is not None and _unvalued(before) == _unvalued(after):
        return True
    states = {c.secret if c is not None else SecretState.UNCHANGED for c in (before, after)}
    return states <= _DECLARED_BOTH


def _unvalued(change: Change) -> Change:
    return change.model_copy(update={"planned_fingerprint": None})


def _files(before: FileChanges, after: FileChanges) -> tuple[str, ...]:
    def listed(files: FileChanges) -> set[tuple[str, str, str | None]]:
        return {
            (kind, f.path, f.oid)
            for kind, entries in (("added", files.added), ("modified", files.modified), ("deleted", files.deleted))
            for f in entries
        }

    return tuple(sorted({path for _, path, _ in listed(before) ^ listed(after)}))


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
