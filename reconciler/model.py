"""Immutable types shared by every stage: desired and observed Spaces, changes, the plan.

Data flows one way: manifests -> DesiredSpace; Hub -> ObservedSpace; (desired, observed)
pairs -> Plan. The Plan is plain data that round-trips through JSON unchanged.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

SDKS = ("gradio", "docker", "static")
VISIBILITIES = ("public", "private", "protected")
VOLUME_TYPES = ("bucket", "model", "dataset", "space")
# The Hub's Space hardware flavors (huggingface_hub 2.4 SpaceHardware).
HARDWARE_FLAVORS = (
    "cpu-basic", "cpu-upgrade", "zero-a10g", "t4-small", "t4-medium", "l4x1", "l4x4",
    "l40sx1", "l40sx4", "l40sx8", "a10g-small", "a10g-large", "a10g-largex2", "a10g-largex4",
    "a100-large", "a100x4", "a100x8", "rtx-pro-6000", "rtx-pro-6000x2", "rtx-pro-6000x4",
    "rtx-pro-6000x8",
)  # fmt: skip
DEFAULT_HARDWARE = "cpu-basic"
# Front matter tag that marks a Space as created and owned by this tool. It lives in the
# README front matter the tool generates, so it is listed in bulk (cardData), survives edits
# made in the Space settings UI, and `drift` sees it on unmanaged Spaces too.
OWNERSHIP_TAG = "spaces-reconciler"
# Front matter tag recording lifecycle.preventDestroy on the Hub, so that --prune can refuse to
# delete the Space even after its manifest is gone.
PREVENT_DESTROY_TAG = "spaces-reconciler-prevent-destroy"
# Front matter tag of a pull-request preview copy (`reconcile preview`): it keeps the ownership
# tag, so this one is what stops --prune from taking it for a real Space of the fleet.
PREVIEW_TAG = "spaces-reconciler-preview"


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


# ---------------------------------------------------------------- desired state


class SourceRef(Frozen):
    """Where a manifest document came from: 'path/to/file.yaml:LINE:COL' (1-based)."""

    file: str
    line: int
    col: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.col}"


class SecretRef(Frozen):
    """A reference to a secret value; exactly one of from_env / from_file is set.

    from_file is an absolute path, already checked to lie inside the repository.
    The value itself is never stored in any model.
    """

    from_env: str | None = None
    from_file: str | None = None
    # May this secret be copied into pull-request preview Spaces?
    preview: bool = False

    def describe(self) -> str:
        return f"env {self.from_env}" if self.from_env else f"file {self.from_file}"


class Volume(Frozen):
    type: Literal["bucket", "model", "dataset", "space"]
    source: str
    mount_path: str
    revision: str | None = None
    read_only: bool | None = None
    path: str | None = None


class SourceFile(Frozen):
    """A file the Space repository should contain.

    `local_path` is the absolute path on disk; `content` is set instead for generated
    files (the README.md with front matter from the manifest's card).
    """

    path: str
    blob_id: str
    size: int
    local_path: str | None = None
    content: bytes | None = None

    def read(self) -> bytes:
        if self.content is not None:
            return self.content
        assert self.local_path is not None
        with open(self.local_path, "rb") as handle:
            return handle.read()


class Lifecycle(Frozen):
    prevent_destroy: bool = False
    # Field paths as in plan changes, e.g. "spec.hardware" or "spec.variables.MODE".
    ignore_changes: tuple[str, ...] = ()
    ignore_lint: tuple[str, ...] = ()


class DesiredSpace(Frozen):
    """What git says one Space must be. Absent optional settings are not managed.

    variables, secrets and volumes are authoritative: a key on the Hub that is not here
    is a difference. sleep_time None means "leave the Hub's default alone".
    """

    id: str
    source_ref: SourceRef
    labels: Mapping[str, str] = Field(default_factory=dict)
    sdk: Literal["gradio", "docker", "static"]
    sdk_version: str | None = None
    hardware: str = DEFAULT_HARDWARE
    sleep_time: int | None = None
    visibility: Literal["public", "private", "protected"] = "public"
    dev_mode: bool = False
    paused: bool = False
    variables: Mapping[str, str] = Field(default_factory=dict)
    secrets: Mapping[str, SecretRef] = Field(default_factory=dict)
    volumes: tuple[Volume, ...] = ()
    # README front matter exactly as the Hub sees it (snake_case keys), incl. sdk and tags.
    card: Mapping[str, Any] = Field(default_factory=dict)
    # Every file of the repository, README.md (generated) included, sorted by path.
    files: tuple[SourceFile, ...] = ()
    app_file: str | None = None
    lifecycle: Lifecycle = Lifecycle()

    @property
    def namespace(self) -> str:
        return self.id.split("/", 1)[0]

    @property
    def name(self) -> str:
        return self.id.split("/", 1)[1]


# ---------------------------------------------------------------- observed state


class ObservedVariable(Frozen):
    value: str
    description: str | None = None
    updated_at: str | None = None


class ObservedSecret(Frozen):
    """A secret as the Hub shows it: never a value, only its description and date."""

    description: str | None = None
    updated_at: str | None = None


class RemoteFile(Frozen):
    path: str
    blob_id: str
    size: int


class ObservedSpace(Frozen):
    """What the Hub says about one Space, normalized: server-owned fields dropped.

    `running_sha` is the commit the runtime serves; it lags `sha` during a build.
    `hardware` is the requested flavor (what a write would set); `hardware_current` is
    what actually runs (None while nothing runs).
    """

    id: str
    sha: str | None
    sdk: str | None
    visibility: Literal["public", "private", "protected"]
    stage: str | None
    hardware: str | None
    hardware_current: str | None = None
    sleep_time: int | None = None
    dev_mode: bool = False
    running_sha: str | None = None
    hot_reloading: Mapping[str, Any] | None = None
    variables: Mapping[str, ObservedVariable] = Field(default_factory=dict)
    secrets: Mapping[str, ObservedSecret] = Field(default_factory=dict)
    volumes: tuple[Volume, ...] = ()
    card: Mapping[str, Any] = Field(default_factory=dict)
    files: tuple[RemoteFile, ...] = ()
    last_modified: str | None = None
    # False when this token may not read variables and secrets (no token, e.g. a pull request
    # from a fork): they are then unknown, never compared, never reported as removed.
    settings_readable: bool = True

    @property
    def paused(self) -> bool:
        return self.stage == "PAUSED"

    @property
    def managed(self) -> bool:
        return self._tagged(OWNERSHIP_TAG)

    @property
    def preview(self) -> bool:
        """A pull-request preview copy made by `reconcile preview up`."""
        return self._tagged(PREVIEW_TAG)

    def _tagged(self, tag: str) -> bool:
        tags = self.card.get("tags") or ()
        return isinstance(tags, (list, tuple)) and tag in tags


# ---------------------------------------------------------------- the plan


class Rung(str, enum.Enum):
    """The change-rung ladder, ordered by disruption (see RUNG_ORDER)."""

    NONE = "none"
    SETTINGS = "settings"
    HOT_RELOAD = "hot-reload"
    UPLOAD = "upload"
    REBUILD = "rebuild"
    CREATE = "create"
    DELETE = "delete"


RUNG_ORDER: tuple[Rung, ...] = tuple(Rung)


class Action(str, enum.Enum):
    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"
    NOOP = "noop"


SENSITIVE = "(sensitive)"


class Change(Frozen):
    """One field difference. `before`/`after` are None when the field is absent on that side.

    Secret values never appear: both sides are "(sensitive)" or None, and `note` says what
    is known (changed, changed outside git, unknown here).
    """

    path: str
    before: Any = None
    after: Any = None
    note: str | None = None


class FileEntry(Frozen):
    path: str
    size: int
    oid: str | None = None


class FileChanges(Frozen):
    added: tuple[FileEntry, ...] = ()
    modified: tuple[FileEntry, ...] = ()
    deleted: tuple[FileEntry, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.added or self.modified or self.deleted)

    def paths(self) -> tuple[str, ...]:
        return tuple(f.path for f in (*self.added, *self.modified, *self.deleted))


class Cost(Frozen):
    before_usd_per_hour: float = 0.0
    after_usd_per_hour: float = 0.0


class ObservedDigest(Frozen):
    """What apply --plan re-checks before writing: the sha and a digest of the settings."""

    sha: str | None = None
    settings_digest: str | None = None


class PolicyOutcome(str, enum.Enum):
    VIOLATED = "violated"  # the rule's expression is false
    ERRORED = "errored"  # the expression failed on this Space's data (counts as violated)
    EXEMPTED = "exempted"  # violated, but the Space carries an unexpired exemption for the rule


class PolicyFinding(Frozen):
    """One policy rule a Space breaks (rules it keeps are not recorded)."""

    policy: str
    rule: str
    severity: Literal["error", "warning"]
    outcome: PolicyOutcome
    message: str
    location: str  # FILE:LINE:COL of the rule's expression
    error: str | None = None  # for ERRORED
    exempt_until: str | None = None  # YYYY-MM-DD, for EXEMPTED

    @property
    def qualified(self) -> str:
        return f"{self.policy}/{self.rule}"

    @property
    def blocks(self) -> bool:
        """An error rule that is violated or cannot be evaluated stops apply (fail closed)."""
        return self.severity == "error" and self.outcome is not PolicyOutcome.EXEMPTED


class PlanEntry(Frozen):
    id: str
    action: Action
    rung: Rung
    reasons: tuple[str, ...] = ()
    restarts: int = 0
    changes: tuple[Change, ...] = ()
    files: FileChanges = FileChanges()
    cost: Cost = Cost()
    observed: ObservedDigest = ObservedDigest()
    manifest: str | None = None
    warnings: tuple[str, ...] = ()
    policy: tuple[PolicyFinding, ...] = ()


class Plan(Frozen):
    format_version: Literal[1] = 1
    created_at: str
    hub: str
    spaces: tuple[PlanEntry, ...] = ()
    summary: Mapping[str, int] = Field(default_factory=dict)
    monthly_cost_delta_usd: float = 0.0
    notes: tuple[str, ...] = ()
    policy: tuple[PolicyFinding, ...] = ()  # plan-wide rules (those reading only `plan` and `context`)

    @property
    def has_changes(self) -> bool:
        return any(entry.rung is not Rung.NONE for entry in self.spaces)
