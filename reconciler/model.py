"""Immutable types shared by every stage: desired and observed Spaces, changes, the plan.

Data flows one way: manifests -> DesiredSpace; Hub -> ObservedSpace; (desired, observed)
pairs -> Plan. The Plan is plain data that round-trips through JSON unchanged.
"""

from __future__ import annotations

import contextlib
import enum
from collections.abc import Mapping
from typing import TYPE_CHECKING, Annotated, Any, Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field

from reconciler.errors import Location
from reconciler.health import Stage

if TYPE_CHECKING:
    from typing_extensions import Self

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


# One set of field names per distinct set (see Frozen.model_post_init).
_FIELD_SETS: dict[frozenset[str], set[str]] = {}


def _shared_fields_set(model: BaseModel) -> None:
    names = model.__pydantic_fields_set__
    object.__setattr__(model, "__pydantic_fields_set__", _FIELD_SETS.setdefault(frozenset(names), names))


class Frozen(BaseModel):
    """Immutable models. Each instance shares the set of the names of its explicitly set fields
    with every instance set the same way: pydantic keeps one such set per instance (up to 1.2 kB
    for an ObservedSpace, more than its values), a plan of 10,000 Spaces holds about 100,000
    instances, and the set of a frozen model is only ever copied, never changed in place
    (model_copy copies it before adding the updated names)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    def model_post_init(self, context: Any, /) -> None:
        _shared_fields_set(self)

    def model_copy(self, *, update: Mapping[str, Any] | None = None, deep: bool = False) -> Self:
        copied = super().model_copy(update=update, deep=deep)
        _shared_fields_set(copied)
        return copied


# ---------------------------------------------------------------- desired state


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
        # Not the file's path: outside the manifest's own text it tells where secrets live.
        return f"env {self.from_env}" if self.from_env else "fromFile"


class Volume(Frozen):
    """A mount, with the field names of the manifest schema's volume and huggingface_hub's Volume."""

    type: Literal["bucket", "model", "dataset", "space"]
    source: str
    mount_path: str
    revision: str | None = None
    read_only: bool | None = None
    path: str | None = None

    def manifest_view(self) -> dict[str, Any]:
        """The mount as a manifest writes it (camelCase keys, field order), unset fields as None."""
        return {
            "type": self.type,
            "source": self.source,
            "mountPath": self.mount_path,
            "revision": self.revision,
            "readOnly": self.read_only,
            "path": self.path,
        }


class ContentId(Frozen):
    """What identifies a file's bytes, both ways the Hub can name them.

    `blob_id` is the git blob id of the bytes (what the Hub reports for a file git stores
    as is); `sha256` is what it reports for a file stored through LFS or Xet, whose git blob
    is only a pointer (hub-contract §8.2, §11). Both are computed in one streaming pass.
    """

    blob_id: str
    sha256: str
    size: int


class Identified(Protocol):
    """A ContentId, or anything that carries the same three fields (a SourceFile)."""

    @property
    def blob_id(self) -> str: ...
    @property
    def sha256(self) -> str: ...
    @property
    def size(self) -> int: ...


class SourceFile(Frozen):
    """A file the Space repository should contain.

    `local_path` is the absolute path on disk; `content` is set instead for generated
    files (the README.md with front matter from the manifest's card). Never read a
    local file whole: it may be gigabytes; hand `local_path` to the upload instead.
    """

    path: str
    blob_id: str
    sha256: str
    size: int
    local_path: str | None = None
    content: bytes | None = None

    @property
    def content_id(self) -> ContentId:
        return ContentId(blob_id=self.blob_id, sha256=self.sha256, size=self.size)

    def pinned(self, stack: contextlib.ExitStack) -> str | bytes:
        """What the upload reads while `stack` is open: a path on disk (streamed) or generated
        bytes. A file of a source folder pins the very file it checked (manifests.source)."""
        if self.content is not None:
            return self.content
        assert self.local_path is not None
        return self.local_path


class Lifecycle(Frozen):
    prevent_destroy: bool = False
    # Field paths as in plan changes, e.g. "spec.hardware" or "spec.variables.MODE".
    ignore_changes: tuple[str, ...] = ()
    ignore_lint: tuple[str, ...] = ()


class ExpectKind(str, enum.Enum):
    """How a smoke call's output is judged (spec.verify.smoke[].expect)."""

    MIME = "kind"  # the output is a file whose magic bytes say this media type
    CONTAINS = "contains"  # the output as text contains `value`
    EQUALS = "equals"  # the output equals `value`
    JSON = "json"  # the output (a mapping, or JSON text) contains the mapping `value` as a subset
    TYPE = "type"  # the output's JSON type is `value` (str, int, float, bool, list, dict, null)


class Expectation(Frozen):
    kind: ExpectKind
    value: Any = None


class SmokeCall(Frozen):
    """One real call of a Space endpoint. `args` is a mapping (keywords) or a tuple (positional).

    Arguments may hold user data: renderers show them only in JSON output.
    """

    api: str
    args: Mapping[str, Any] | tuple[Any, ...] = Field(default_factory=dict)
    timeout_s: float = 120.0
    expect: Expectation | None = None  # None: any answer that is not an error passes


class VerifySpec(Frozen):
    """spec.verify: checks beyond RUNNING. Regular expressions were compiled at load time."""

    timeout_s: float = 600.0
    forbid: tuple[str, ...] = ()  # must match no run log line since the boot
    expect: tuple[str, ...] = ()  # must each match a run log line before the timeout
    endpoints: tuple[str, ...] = ()  # api_names the Space's API must have
    smoke: tuple[SmokeCall, ...] = ()


class DesiredSpace(Frozen):
    """What git says one Space must be. Absent optional settings are not managed.

    variables, secrets and volumes are authoritative: a key on the Hub that is not here
    is a difference. sleep_time None means "leave the Hub's default alone".
    """

    id: str
    source_ref: Location
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
    # None: no verification beyond the health gate.
    verify: VerifySpec | None = None

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


class LfsInfo(Frozen):
    """The tree's `lfs` field: the content's sha256 and size; git holds a pointer of `pointer_size` bytes."""

    sha256: str
    size: int
    pointer_size: int


class RemoteFile(Frozen):
    """A file of a Space's tree as the Hub reports it (tree / paths-info, hub-contract §9).

    `blob_id` is the git blob id of what git stores: the content for a regular file, the
    pointer file for an LFS/Xet one, so it identifies content only when `lfs` is None.
    `size` is the content's size either way. `xet_hash` is set for Xet-stored files; it
    is kept for completeness and never used to compare (sha256 identifies the content).
    """

    path: str
    blob_id: str
    size: int
    lfs: LfsInfo | None = None
    xet_hash: str | None = None

    def holds(self, content: Identified) -> bool:
        """Whether this entry stores exactly `content`.

        An LFS/Xet entry is compared by sha256 and size; a regular one by git blob id. A
        regular entry is never called different because the Hub would store the same bytes
        as LFS today: the bytes are what the Space runs, and the next upload of a changed
        file takes whatever mode the Hub picks, so the comparison converges either way.
        """
        if self.lfs is not None:
            return self.lfs.sha256 == content.sha256 and self.lfs.size == content.size
        return self.blob_id == content.blob_id


class ObservedSpace(Frozen):
    """What the Hub says about one Space, normalized: server-owned fields dropped.

    `hardware` is the requested flavor (what a write would set); `hardware_current` is
    what actually runs (None while nothing runs).
    """

    id: str
    sha: str | None
    sdk: str | None
    visibility: Literal["public", "private", "protected"]
    # False when the Hub said only `private`: space_info and list_spaces carry no
    # `visibility` (not an expand key, not a SpaceInfo field), so a protected Space reads as
    # private too and the two cannot be told apart.
    visibility_exact: bool = True
    stage: Stage | None
    hardware: str | None
    hardware_current: str | None = None
    sleep_time: int | None = None
    dev_mode: bool = False
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
        return self.stage is Stage.PAUSED

    @property
    def managed(self) -> bool:
        return self._tagged(OWNERSHIP_TAG)

    @property
    def preview(self) -> bool:
        """A pull-request preview copy made by `reconcile preview up`."""
        return self._tagged(PREVIEW_TAG)

    @property
    def prevent_destroy(self) -> bool:
        """Carries lifecycle.preventDestroy: --prune refuses to delete it even without a manifest."""
        return self._tagged(PREVENT_DESTROY_TAG)

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


class Caveat(str, enum.Enum):
    """Something the plan could not see on the Hub; renderers word it, nothing parses it."""

    # Desired protected, and the Hub reported `private` only: protected and private read alike.
    PROTECTED_READS_AS_PRIVATE = "protected-reads-as-private"


class SecretState(str, enum.Enum):
    ADDED = "added"
    REMOVED = "removed"
    CHANGED = "changed"
    UNCHANGED = "unchanged"
    CHANGED_OUTSIDE = "changed outside git"
    UNKNOWN = "unknown here"


class SecretUnknown(str, enum.Enum):
    """Why a secret's value cannot be compared here (its state is then UNKNOWN, never CHANGED)."""

    VALUE_UNAVAILABLE = "value-unavailable"  # the value cannot be read in this environment
    NO_FINGERPRINT_KEY = "no-fingerprint-key"  # RECONCILE_FINGERPRINT_KEY is not set
    SETTINGS_UNREADABLE = "settings-unreadable"  # this token may not read the Space's secrets
    DESCRIPTION_UNREADABLE = "description-unreadable"  # the Hub returned no description (hub-contract §13)


class Change(Frozen):
    """One field difference. `before`/`after` are None when the field is absent on that side.

    Secret values never appear: both sides are "(sensitive)" or None. `secret` is the
    comparison's result for a secret (None for every other field); `note` is its wording for
    people, never read by code. `planned_fingerprint` is the keyed fingerprint (HMAC with
    RECONCILE_FINGERPRINT_KEY, reconciler/secrets.py) of the value apply would write, so that
    `apply --plan` refuses a value that changed again after the review; it tells nothing of the
    value without the key, and the Hub already holds it in the secret's description.
    """

    path: str
    before: Any = None
    after: Any = None
    note: str | None = None
    secret: SecretState | None = None
    planned_fingerprint: str | None = None


class Effect(str, enum.Enum):
    """What changing a setting does to a running Space."""

    RESTARTS = "restarts"
    STARTS_OR_STOPS = "starts-or-stops"
    QUIET = "quiet"


# The one table of setting effects (DESIGN.md "Rungs"): read by the rung reasons, the restart
# count and the hot-reload blocker. Keys are the setting groups of change paths (spec.<group>...).
SETTING_EFFECTS: Mapping[str, Effect] = {
    "hardware": Effect.RESTARTS,
    "variables": Effect.RESTARTS,
    "secrets": Effect.RESTARTS,
    "volumes": Effect.RESTARTS,
    "devMode": Effect.RESTARTS,
    "paused": Effect.STARTS_OR_STOPS,
    "sleepTime": Effect.QUIET,
    "visibility": Effect.QUIET,
}


def setting_group(path: str) -> str:
    parts = path.split(".")
    return parts[1] if len(parts) > 1 else path


def effect_of(path: str) -> Effect:
    """A setting missing from the table restarts: the cautious reading of an unknown setting."""
    return SETTING_EFFECTS.get(setting_group(path), Effect.RESTARTS)


class ReasonCode(str, enum.Enum):
    SETTINGS_RESTART = "settings-restart"  # subjects: setting groups; the Hub restarts the Space once
    SETTINGS_START = "settings-start"  # subjects: ["paused"]; un-pausing starts the Space
    SETTINGS_STOP = "settings-stop"  # subjects: ["paused"]; pausing stops it
    SETTINGS_QUIET = "settings-quiet"  # subjects: setting groups; no restart
    REBUILD = "rebuild"  # subjects: what invalidates the image (files, "README front matter", the SDK)
    HOT_RELOAD = "hot-reload"  # subjects: changed files; detail: the gradio version
    UPLOAD = "upload"  # subjects: changed files; blocker: why not a hot reload
    CREATE = "create"
    PRUNE = "prune"
    TEXT = "text"  # read from a plan file without reason codes: detail is the reason's text


class BlockerCode(str, enum.Enum):
    FILES_DELETED = "files-deleted"  # subjects: the deleted paths
    NOT_PYTHON = "not-python"  # subjects: the other paths
    NOT_GRADIO = "not-gradio"  # detail: the SDK
    OLD_GRADIO = "old-gradio"  # detail: the version ("" when unpinned)
    NOT_RUNNING = "not-running"  # detail: the stage
    SETTINGS_RESTART = "settings-restart"  # a setting restarts the Space anyway
    SETTINGS_PAUSE = "settings-pause"  # the Space is paused or un-paused in the same change


class Blocker(Frozen):
    """Why the hot-reload rung cannot be used."""

    code: BlockerCode
    subjects: tuple[str, ...] = ()
    detail: str | None = None


class Reason(Frozen):
    """One reason for a rung decision, from a closed list; renderers word it."""

    code: ReasonCode
    subjects: tuple[str, ...] = ()
    detail: str | None = None
    blocker: Blocker | None = None


class FileEntry(Frozen):
    path: str
    size: int
    oid: str | None = None


class FileChanges(Frozen):
    added: tuple[FileEntry, ...] = ()
    modified: tuple[FileEntry, ...] = ()
    deleted: tuple[FileEntry, ...] = ()
    # Paths the Hub puts in a Space it creates that git does not have (a static Space starts
    # with index.html and style.css, hub-contract §13): the first commit removes whichever the
    # Hub did put there. Only a creation has them; their content is the Hub's, so no size.
    starter: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.added or self.modified or self.deleted or self.starter)

    @property
    def deletions(self) -> int:
        """How many paths the commit removes: deleted files and the Hub's starter files."""
        return len(self.deleted) + len(self.starter)

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


# ---------------------------------------------------------------- apply steps
# What apply does to one Space, in order, as data (reconciler/steps.py makes the list, the
# executor runs it, the plan shows it). Values here are never secret: secrets go by name.


class CheckSecrets(Frozen):
    """Read every secret value to be written, before any write; a missing one stops here."""

    kind: Literal["check-secrets"] = "check-secrets"
    names: tuple[str, ...]


class CheckFiles(Frozen):
    """Check the local files still are what the plan reviewed, before any write."""

    kind: Literal["check-files"] = "check-files"


class CreateSpace(Frozen):
    kind: Literal["create"] = "create"
    sdk: str
    hardware: str
    sleep_time: int | None = None
    visibility: str
    variables: Mapping[str, str] = Field(default_factory=dict)
    secrets: tuple[str, ...] = ()


class SetHardware(Frozen):
    kind: Literal["set-hardware"] = "set-hardware"
    flavor: str
    sleep_time: int | None = None


class SetSleepTime(Frozen):
    kind: Literal["set-sleep-time"] = "set-sleep-time"
    seconds: int


class SetVariables(Frozen):
    kind: Literal["set-variables"] = "set-variables"
    set: Mapping[str, str] = Field(default_factory=dict)
    delete: tuple[str, ...] = ()


class SetSecrets(Frozen):
    kind: Literal["set-secrets"] = "set-secrets"
    set: tuple[str, ...] = ()
    delete: tuple[str, ...] = ()


class SetVolumes(Frozen):
    """Mount exactly these declared volumes; mounts added by hand are kept."""

    kind: Literal["set-volumes"] = "set-volumes"
    volumes: tuple[Volume, ...] = ()


class SetVisibility(Frozen):
    kind: Literal["set-visibility"] = "set-visibility"
    visibility: str


class SetDevMode(Frozen):
    kind: Literal["set-dev-mode"] = "set-dev-mode"
    enabled: bool


class Commit(Frozen):
    """One commit of the entry's files (counts shown; the paths are the entry's `files`)."""

    kind: Literal["commit"] = "commit"
    hot_reload: bool = False
    files: int = 0
    deletions: int = 0


class VerifyHotReload(Frozen):
    """Confirm the hot reload as `hf spaces hot-reload` does; if it is not, `fallback`."""

    kind: Literal["verify-hot-reload"] = "verify-hot-reload"
    fallback: Literal["restart"] = "restart"


class Pause(Frozen):
    kind: Literal["pause"] = "pause"


class Resume(Frozen):
    kind: Literal["resume"] = "resume"


class WaitHealthy(Frozen):
    """Wait until the Space runs the new version, then judge RUNNING or failed."""

    kind: Literal["wait-healthy"] = "wait-healthy"


class Verify(Frozen):
    """One check of spec.verify, after the health gate (reconciler/verify). A failed check is
    the outcome verify-failed. Smoke call arguments are not copied here: they may hold user data."""

    kind: Literal["verify"] = "verify"
    check: Literal["logs.expect", "endpoints", "smoke", "logs.forbid"]
    targets: tuple[str, ...] = ()  # the patterns, the endpoint names, or the smoke call's api_name
    call: int | None = None  # smoke: the call's index in spec.verify.smoke
    expect: str | None = None  # smoke: what its output must be, as the verify report words it


class Rollback(Frozen):
    """Only after a failed WaitHealthy or Verify: commit the previous files back and wait again."""

    kind: Literal["rollback"] = "rollback"


class DeleteSpace(Frozen):
    kind: Literal["delete"] = "delete"


Step = Annotated[
    CheckSecrets
    | CheckFiles
    | CreateSpace
    | SetHardware
    | SetSleepTime
    | SetVariables
    | SetSecrets
    | SetVolumes
    | SetVisibility
    | SetDevMode
    | Commit
    | VerifyHotReload
    | Pause
    | Resume
    | WaitHealthy
    | Verify
    | Rollback
    | DeleteSpace,
    Field(discriminator="kind"),
]


class RungDecision(Frozen):
    """The lowest rung covering every difference, why, and how many restarts it costs."""

    rung: Rung
    reasons: tuple[Reason, ...] = ()
    restarts: int = 0


class PlanEntry(Frozen):
    id: str
    action: Action
    rung: Rung
    reasons: tuple[Reason, ...] = ()
    restarts: int = 0
    changes: tuple[Change, ...] = ()
    files: FileChanges = FileChanges()
    cost: Cost = Cost()
    observed: ObservedDigest = ObservedDigest()
    manifest: str | None = None
    warnings: tuple[str, ...] = ()
    policy: tuple[PolicyFinding, ...] = ()
    caveats: tuple[Caveat, ...] = ()
    # What apply does, in order (reconciler.steps.steps_for); () in plans written before steps
    # existed, and for unchanged Spaces. Apply runs steps_for again on the reviewed entry.
    steps: tuple[Step, ...] = ()


class Orphan(Frozen):
    """A Space in a watched namespace that carries the ownership marker but is in no manifest,
    left alone because the plan was made without --prune (which would delete it, or refuse to
    when it carries preventDestroy)."""

    id: str
    prevent_destroy: bool = False


class Plan(Frozen):
    format_version: Literal[1] = 1
    created_at: str
    hub: str
    spaces: tuple[PlanEntry, ...] = ()
    summary: Mapping[str, int] = Field(default_factory=dict)
    monthly_cost_delta_usd: float = 0.0
    notes: tuple[str, ...] = ()
    policy: tuple[PolicyFinding, ...] = ()  # plan-wide rules (those reading only `plan` and `context`)
    orphans: tuple[Orphan, ...] = ()  # managed Spaces with no manifest, not pruned (no --prune)

    @property
    def has_changes(self) -> bool:
        return any(entry.rung is not Rung.NONE for entry in self.spaces)
