"""Pydantic models of the manifest kinds, the single source of the JSON Schemas.

Manifest keys are camelCase (alias generator); Python names are snake_case. Models are
strict: YAML's implicit typing (3.10 -> float 3.1, yes -> True) must surface as an error,
not be coerced into something the user did not write.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic.alias_generators import to_camel
from pydantic_core import PydanticCustomError

API_VERSION = "spaces-reconciler/v1"

Sdk = Literal["gradio", "docker", "static"]
Visibility = Literal["public", "private", "protected"]
Color = Literal["red", "yellow", "green", "blue", "indigo", "purple", "pink", "gray"]
# Must equal reconciler.model.HARDWARE_FLAVORS (a test checks it); spelled out so mypy and
# the JSON Schema both see the enum.
Hardware = Literal[
    "cpu-basic",
    "cpu-upgrade",
    "zero-a10g",
    "t4-small",
    "t4-medium",
    "l4x1",
    "l4x4",
    "l40sx1",
    "l40sx4",
    "l40sx8",
    "a10g-small",
    "a10g-large",
    "a10g-largex2",
    "a10g-largex4",
    "a100-large",
    "a100x4",
    "a100x8",
    "rtx-pro-6000",
    "rtx-pro-6000x2",
    "rtx-pro-6000x4",
    "rtx-pro-6000x8",
]


class Model(BaseModel):
    model_config = ConfigDict(
        frozen=True, extra="forbid", strict=True, alias_generator=to_camel, populate_by_name=False
    )


class Metadata(Model):
    namespace: str = Field(description="User or organization that owns the Space.")
    name: str = Field(description="Space name; the Space id is namespace/name.")
    labels: dict[str, str] = Field(default_factory=dict)


class SecretRef(Model):
    """Where a secret value lives. Exactly one of fromEnv / fromFile."""

    model_config = ConfigDict(json_schema_extra={"oneOf": [{"required": ["fromEnv"]}, {"required": ["fromFile"]}]})
    from_env: str | None = Field(default=None, description="Name of an environment variable.")
    from_file: str | None = Field(
        default=None, description="File holding the value, relative to the manifest, inside the repository."
    )
    preview: bool = Field(default=False, description="May be copied into pull-request preview Spaces.")
    allow_workflow_credential: bool = Field(
        default=False,
        description="fromEnv may name one of the deploy workflow's own credentials (HF_TOKEN, GITHUB_TOKEN, "
        "INPUT_*, ACTIONS_ID_TOKEN_REQUEST_*, RECONCILE_FINGERPRINT_KEY...), handing it to the Space's code. "
        "Without it such a fromEnv is an error.",
    )

    @model_validator(mode="after")
    def _exactly_one(self) -> SecretRef:
        if (self.from_env is None) == (self.from_file is None):
            raise PydanticCustomError("secret_ref", "a secret reference needs exactly one of fromEnv or fromFile")
        return self


class Volume(Model):
    type: Literal["bucket", "model", "dataset", "space"]
    source: str = Field(description="Repository or bucket id, e.g. acme/weights.")
    mount_path: str = Field(description="Absolute path inside the Space, e.g. /data.")
    revision: str | None = None
    read_only: bool | None = None
    path: str | None = Field(default=None, description="Sub-folder of the source to mount.")


class Source(Model):
    path: str = Field(description="Folder with the app, relative to the manifest file.")
    exclude: list[str] = Field(default_factory=list, description="gitignore-style patterns.")


class Card(Model):
    """README front matter, the Hub's Spaces configuration reference in camelCase."""

    title: str | None = None
    emoji: str | None = None
    color_from: Color | None = None
    color_to: Color | None = None
    app_file: str | None = None
    app_port: int | None = Field(default=None, ge=1, le=65535)
    base_path: str | None = None
    python_version: str | None = None
    short_description: str | None = Field(default=None, max_length=60)
    license: str | None = None
    pinned: bool | None = None
    models: list[str] | None = None
    datasets: list[str] | None = None
    tags: list[str] | None = None
    thumbnail: str | None = None
    startup_duration_timeout: str | None = None
    full_width: bool | None = None
    header: Literal["mini", "default"] | None = None
    disable_embedding: bool | None = None
    suggested_hardware: Hardware | None = None
    suggested_storage: Literal["small", "medium", "large"] | None = None
    hf_oauth: bool | None = None
    hf_oauth_scopes: list[str] | None = None
    hf_oauth_expiration_minutes: int | None = None
    hf_oauth_authorized_org: str | list[str] | None = None
    preload_from_hub: list[str] | None = None
    custom_headers: dict[str, str] | None = None
    extra: dict[str, Any] = Field(default_factory=dict, description="Any other front matter key, passed through as-is.")


class Lifecycle(Model):
    prevent_destroy: bool = Field(
        default=False, description="Refuse to delete this Space, even with --prune after its manifest is gone."
    )
    ownership_marker: bool = Field(
        default=True,
        description="Tag the Space as created by spaces-reconciler (only such Spaces can be pruned). "
        "`reconcile import` sets false for adopted Spaces.",
    )
    ignore_changes: list[str] = Field(default_factory=list, description="Field paths, e.g. spec.hardware.")
    ignore_lint: list[str] = Field(default_factory=list, description="Lint rule ids to silence.")


# Output kinds `reconcile verify` recognises by their first bytes (reconciler/verify/sniff.py).
OutputKind = Literal["image/png", "image/jpeg", "image/webp", "audio/wav", "video/mp4", "model/gltf-binary"]
ValueType = Literal["str", "int", "float", "bool", "list", "dict", "null"]


class VerifyExpect(Model):
    """What a smoke call must return. Exactly one key."""

    model_config = ConfigDict(
        json_schema_extra={
            "oneOf": [{"required": [k]} for k in ("kind", "contains", "equals", "json", "type")],
        }
    )
    kind: OutputKind | None = Field(default=None, description="The output is a file of this type (magic bytes).")
    contains: str | None = Field(default=None, description="The output, as text, contains this.")
    equals: Any = Field(default=None, description="The output equals this value.")
    json_: dict[str, Any] | None = Field(
        default=None, alias="json", description="The output (JSON) contains this subset."
    )
    type: ValueType | None = Field(default=None, description="The output's JSON type.")

    @model_validator(mode="after")
    def _exactly_one(self) -> VerifyExpect:
        given = [name for name in self.model_fields_set if name in type(self).model_fields]
        if len(given) != 1:
            raise PydanticCustomError(
                "verify_expect", "an expect needs exactly one of kind, contains, equals, json or type"
            )
        return self


class SmokeCall(Model):
    api: str = Field(description="The endpoint's api_name, e.g. /generate.")
    args: dict[str, Any] | list[Any] = Field(
        default_factory=dict, description="Keyword arguments (a mapping) or positional ones (a list)."
    )
    timeout: str | int = Field(default="120s", description="For this call, e.g. 120s.")
    expect: VerifyExpect | None = Field(default=None, description="Without it, any answer that is not an error passes.")


class VerifyLogs(Model):
    forbid: list[str] = Field(
        default_factory=list, description="Regular expressions that must not match any run log line since the boot."
    )
    expect: list[str] = Field(
        default_factory=list, description="Regular expressions that must each match a run log line before the timeout."
    )


class Verify(Model):
    """Checks beyond RUNNING, run by `reconcile verify` (and after apply's health gate)."""

    timeout: str | int = Field(default="10m", description="The whole verification of this Space, e.g. 10m.")
    logs: VerifyLogs = Field(default_factory=VerifyLogs)
    endpoints: list[str] = Field(default_factory=list, description="api_names the Space's API must have (gradio).")
    smoke: list[SmokeCall] = Field(default_factory=list, description="Real calls through gradio_client (gradio).")


class SpaceSpec(Model):
    sdk: Sdk
    sdk_version: str | None = Field(default=None, description="Gradio version; gradio only.")
    hardware: Hardware = "cpu-basic"
    sleep_time: int | None = Field(default=None, description="Seconds; -1 = never sleep.")
    visibility: Visibility = "public"
    dev_mode: bool = False
    paused: bool = False
    variables: dict[str, str] = Field(default_factory=dict)
    secrets: dict[str, SecretRef] = Field(default_factory=dict)
    volumes: list[Volume] = Field(default_factory=list)
    source: Source
    card: Card = Field(default_factory=Card)
    lifecycle: Lifecycle = Field(default_factory=Lifecycle)
    verify: Verify | None = None


class Space(Model):
    """One Hugging Face Space."""

    api_version: Literal["spaces-reconciler/v1"]
    kind: Literal["Space"]
    metadata: Metadata
    spec: SpaceSpec


class Generator(Model):
    """One generator: `list` of parameter maps, or `matrix` of named lists (cartesian product)."""

    model_config = ConfigDict(json_schema_extra={"oneOf": [{"required": ["list"]}, {"required": ["matrix"]}]})
    list_: list[dict[str, Any]] | None = Field(default=None, alias="list")
    matrix: dict[str, list[Any]] | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> Generator:
        if (self.list_ is None) == (self.matrix is None):
            raise PydanticCustomError("generator", "a generator needs exactly one of list or matrix")
        return self


class SpaceSetMetadata(Model):
    name: str
    labels: dict[str, str] = Field(default_factory=dict)


class SpaceSetSpec(Model):
    generators: list[Generator] = Field(min_length=1)
    template: str = Field(description="A Space document rendered with Jinja2 for each parameter set.")


class SpaceSet(Model):
    """A fleet of Spaces rendered from one template."""

    api_version: Literal["spaces-reconciler/v1"]
    kind: Literal["SpaceSet"]
    metadata: SpaceSetMetadata
    spec: SpaceSetSpec


class PolicyMetadata(Model):
    """A policy is fleet-wide: it has a name but no namespace."""

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{0,62}$")
    labels: dict[str, str] = Field(default_factory=dict)


class PolicyMatch(Model):
    """Which Spaces the rules apply to; every given criterion must hold. Empty: every Space."""

    namespaces: list[str] = Field(default_factory=list)
    labels: dict[str, str] = Field(default_factory=dict)
    sdk: list[Literal["gradio", "docker", "static"]] = Field(default_factory=list)


class PolicyRule(Model):
    name: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{0,62}$")
    expression: str = Field(
        description="A CEL expression that is true when the Space complies. Variables: space, observed, change, "
        "plan, context."
    )
    message: str = Field(description="Shown when the rule is violated.")
    severity: Literal["error", "warning"] = "error"


class PolicySpec(Model):
    match: PolicyMatch = Field(default_factory=PolicyMatch)
    rules: list[PolicyRule] = Field(min_length=1)


class Policy(Model):
    """Rules over the desired fleet and over each plan, enforced at validate, plan and apply."""

    api_version: Literal["spaces-reconciler/v1"]
    kind: Literal["Policy"]
    metadata: PolicyMetadata
    spec: PolicySpec


KINDS: dict[str, type[Model]] = {"Space": Space, "SpaceSet": SpaceSet, "Policy": Policy}
