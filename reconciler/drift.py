"""Fleet drift: classify every watched Space against git, on the same observe/diff code as plan.

Change orientation differs from a plan on purpose: in a drift report `before` is what git
says (the expected value) and `after` is what the Hub has now (where it wandered to).
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable, Mapping, Sequence

from pydantic import Field

from reconciler.diff import hand_mounted_volumes
from reconciler.health import Stage
from reconciler.model import (
    Change,
    DesiredSpace,
    FileChanges,
    Frozen,
    ObservedSpace,
    Orphan,
    Plan,
    PlanEntry,
    PolicyFinding,
    Reason,
    Rung,
    SecretState,
    Volume,
)
from reconciler.timestamps import parse_time

RECONCILER_COMMIT_PREFIX = "reconcile: "


class DriftStatus(str, enum.Enum):
    IN_SYNC = "in_sync"
    DRIFTED = "drifted"
    MISSING = "missing"
    UNMANAGED = "unmanaged"
    FAILED = "failed"


class CommitRef(Frozen):
    id: str
    author: str
    title: str
    date: str


class DriftDetail(Frozen):
    """Attribution for one Space: who or what moved it away from git, where the Hub can tell."""

    message: str = ""  # what the status alone does not say; shown before the reasons
    reasons: tuple[Reason, ...] = ()  # the plan's reasons for this Space
    files: FileChanges = FileChanges()
    commits_since_reconciler: tuple[CommitRef, ...] = ()
    variables_updated_outside: tuple[str, ...] = ()  # added or changed on the Hub since our last commit
    variables_deleted_outside: tuple[str, ...] = ()  # in git, gone from the Hub (no date: the Hub forgets it)
    secrets_changed_outside: tuple[str, ...] = ()
    hardware_requested: str | None = None
    hardware_current: str | None = None
    hand_mounted_volumes: tuple[Volume, ...] = ()
    # spec.verify.endpoints the running Space's API no longer has, and what it has instead.
    endpoints_missing: tuple[str, ...] = ()
    endpoints_available: tuple[str, ...] = ()
    managed_marker: bool = False
    manifest: str | None = None


class DriftEntry(Frozen):
    id: str
    status: DriftStatus
    stage: Stage | None = None
    changes: tuple[Change, ...] = ()
    detail: DriftDetail = DriftDetail()


class DriftReport(Frozen):
    format_version: int = 1
    created_at: str
    hub: str
    spaces: tuple[DriftEntry, ...] = ()
    summary: Mapping[str, int] = Field(default_factory=dict)
    # Space id -> the policy rules it breaks as it is now, in sync with git or not.
    policy: Mapping[str, tuple[PolicyFinding, ...]] = Field(default_factory=dict)
    # Unmanaged Spaces that carry the ownership marker (previews apart): what --prune would delete.
    orphans: tuple[Orphan, ...] = ()

    @property
    def violates_policy(self) -> bool:
        return any(f.blocks for findings in self.policy.values() for f in findings)

    @property
    def hand_mounted(self) -> bool:
        """Whether some Space has a volume mounted by hand: drift that apply leaves in place."""
        return any(e.detail.hand_mounted_volumes for e in self.spaces)

    @property
    def has_drift(self) -> bool:
        return any(e.status in (DriftStatus.DRIFTED, DriftStatus.MISSING, DriftStatus.FAILED) for e in self.spaces)

    @property
    def differs(self) -> bool:
        """What `--detailed-exitcode` answers 2 for: drift, failures, or managed Spaces that git no
        longer describes (orphans: a difference between git and the Hub, as a resource left in
        Terraform's state without configuration makes `terraform plan -detailed-exitcode` exit 2)."""
        return self.has_drift or bool(self.orphans)


# Reads the commits of a Space, newest first: injected so this module stays free of Hub calls.
CommitReader = Callable[[str], Sequence[CommitRef]]
# Space id -> the named endpoints its running app's API lists (gradio_client view_api).
LiveEndpoints = Mapping[str, Sequence[str]]


def _as_drift(change: Change) -> Change:
    """Plan orientation (before = Hub, after = git) -> drift orientation (before = git, after = Hub)."""
    note, state = change.note, change.secret
    if state is SecretState.ADDED:
        note, state = "removed on the Hub", SecretState.REMOVED
    elif state is SecretState.REMOVED:
        note, state = "added on the Hub, not in git", SecretState.ADDED
    return Change(path=change.path, before=change.after, after=change.before, note=note, secret=state)


def needs_commits(entry: PlanEntry) -> bool:
    """Whether the Space's commit history can attribute this drift (its files or README changed)."""
    return bool(entry.files) or any(c.path.startswith("spec.card.") for c in entry.changes)


def _attribution(
    entry: PlanEntry, desired: DesiredSpace, observed: ObservedSpace, read_commits: CommitReader
) -> DriftDetail:
    since: list[CommitRef] = []
    last_ours = ""
    if needs_commits(entry):
        for commit in read_commits(observed.id):
            if commit.title.startswith(RECONCILER_COMMIT_PREFIX):
                last_ours = commit.date
                break
            since.append(commit)
    variables_outside = tuple(
        key
        for key, variable in sorted(observed.variables.items())
        if (key not in desired.variables or desired.variables[key] != variable.value)
        and (parse_time(variable.updated_at) or 0.0) > (parse_time(last_ours) or 0.0)
    )
    # Only variables the plan would write back: an ignored or unreadable one is not drift.
    variables_deleted = tuple(
        sorted(
            key
            for c in entry.changes
            if c.path.startswith("spec.variables.")
            and (key := c.path.removeprefix("spec.variables.")) in desired.variables
            and key not in observed.variables
        )
    )
    secrets_outside = tuple(
        c.path.removeprefix("spec.secrets.") for c in entry.changes if c.secret is SecretState.CHANGED_OUTSIDE
    )
    hardware_changed = any(c.path == "spec.hardware" for c in entry.changes)
    return DriftDetail(
        reasons=entry.reasons,
        files=entry.files,
        commits_since_reconciler=tuple(since),
        variables_updated_outside=variables_outside,
        variables_deleted_outside=variables_deleted,
        secrets_changed_outside=secrets_outside,
        hardware_requested=observed.hardware
        if hardware_changed or observed.hardware != observed.hardware_current
        else None,
        hardware_current=observed.hardware_current
        if hardware_changed or observed.hardware != observed.hardware_current
        else None,
        hand_mounted_volumes=hand_mounted_volumes(desired, observed),
        managed_marker=observed.managed,
        manifest=entry.manifest,
    )


def _unmanaged_message(live: ObservedSpace) -> str:
    if live.preview:
        return "a pull-request preview (reconcile preview up); deleted by reconcile preview down"
    if live.managed:
        return "on the Hub, in no manifest (carries the spaces-reconciler marker)"
    return "on the Hub, in no manifest"


def classify(
    plan: Plan,
    desired: Iterable[DesiredSpace],
    observed: Mapping[str, ObservedSpace],
    unmanaged: Iterable[ObservedSpace],
    read_commits: CommitReader,
    live_endpoints: LiveEndpoints | None = None,
) -> DriftReport:
    """`live_endpoints`: the API of each running Space that declares spec.verify.endpoints (a
    Space whose API could not be read is left out: nothing is said about it)."""
    wanted = {d.id: d for d in desired}
    entries: list[DriftEntry] = []
    for entry in plan.spaces:
        space = wanted.get(entry.id)
        live = observed.get(entry.id)
        if space is None:
            continue
        if entry.rung is Rung.CREATE or live is None:
            detail = DriftDetail(message="in git, not on the Hub", manifest=entry.manifest)
            entries.append(DriftEntry(id=entry.id, status=DriftStatus.MISSING, detail=detail))
            continue
        detail = _attribution(entry, space, live, read_commits)
        declared = space.verify.endpoints if space.verify else ()
        available = (live_endpoints or {}).get(entry.id)
        missing = tuple(name for name in declared if available is not None and name not in available)
        if missing and available is not None:
            endpoints = {"endpoints_missing": missing, "endpoints_available": tuple(sorted(available))}
            detail = detail.model_copy(update=endpoints)
        if live.stage is not None and live.stage.failed:
            status = DriftStatus.FAILED
            detail = detail.model_copy(update={"message": f"stage {live.stage.value}"})
        elif entry.rung is Rung.NONE and not detail.hand_mounted_volumes and not detail.endpoints_missing:
            status = DriftStatus.IN_SYNC
        else:
            status = DriftStatus.DRIFTED
        changes = tuple(_as_drift(c) for c in entry.changes)
        changes += tuple(
            Change(path=f"spec.volumes.{v.mount_path}", before=None, after=v.source, note="mounted by hand")
            for v in detail.hand_mounted_volumes
        )
        entries.append(DriftEntry(id=entry.id, status=status, stage=live.stage, changes=changes, detail=detail))
    for live in unmanaged:
        detail = DriftDetail(message=_unmanaged_message(live), managed_marker=live.managed)
        entries.append(DriftEntry(id=live.id, status=DriftStatus.UNMANAGED, stage=live.stage, detail=detail))
    entries.sort(key=lambda e: e.id)
    summary = {status.value: 0 for status in DriftStatus}
    for drift_entry in entries:
        summary[drift_entry.status.value] += 1
    orphans = tuple(
        Orphan(id=live.id, prevent_destroy=live.prevent_destroy)
        for live in sorted(unmanaged, key=lambda o: o.id)
        if live.managed and not live.preview
    )
    return DriftReport(
        created_at=plan.created_at, hub=plan.hub, spaces=tuple(entries), summary=summary, orphans=orphans
    )
