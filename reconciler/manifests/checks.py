"""Semantic checks on a schema-valid Space: what the types alone cannot say."""

from __future__ import annotations

import os
import posixpath
import re
from pathlib import Path

from reconciler.errors import Severity
from reconciler.manifests import gitignored
from reconciler.manifests.card import MANAGED_KEYS, app_file
from reconciler.manifests.context import DocContext, secret_name
from reconciler.manifests.lint import RETIRED_RULES, RULES, follows_invalid
from reconciler.manifests.schema_models import Space, SpaceSpec
from reconciler.manifests.sensitive import workflow_credential
from reconciler.manifests.source import Listing, SourceCache, in_git_dir, is_inside
from reconciler.manifests.validation import did_you_mean
from reconciler.model import SecretRef

# A namespace or repository name as the Hub accepts it: huggingface_hub's validate_repo_id
# (utils/_validators.py; it mirrors the Hub's internal validation) allows 1-96 ASCII letters,
# digits, "-", "_" and "."; its regex `\b[\w\-.]{1,96}\b` makes the first and last characters
# word characters (a letter, a digit or "_": "cannot start or end with '-' or '.'"); no "--" or
# "..", no ".git" ending. The local Hub refuses and accepts the same names (localhub/state.py).
REPO_PART = re.compile(r"^[A-Za-z0-9_](?:[A-Za-z0-9._-]{0,94}[A-Za-z0-9_])?$")
ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
VERSION = re.compile(r"^[0-9]+(\.[0-9]+){1,2}([.-]?[A-Za-z]+[0-9]*)?$")
IGNORABLE = tuple(
    info.alias or name for name, info in SpaceSpec.model_fields.items() if name not in ("lifecycle", "verify")
)
NESTED = ("variables", "secrets", "card")


def repo_part_problem(value: str) -> str | None:
    if not REPO_PART.match(value) or "--" in value or ".." in value or value.endswith(".git"):
        return (
            "must be 1-96 letters, digits, '-', '_' or '.', start and end with a letter, digit or '_', "
            "no '--' or '..', not ending in '.git'"
        )
    return None


def check_space(ctx: DocContext, space: Space, base: Path) -> None:
    for key in ("namespace", "name"):
        problem = repo_part_problem(getattr(space.metadata, key))
        if problem:
            ctx.error(("metadata", key), f"metadata.{key} {getattr(space.metadata, key)!r} {problem}")
    spec = space.spec
    if spec.sdk_version is not None:
        if spec.sdk != "gradio":
            ctx.error(
                ("spec", "sdkVersion"),
                f"sdkVersion only applies to gradio Spaces; this one uses sdk {spec.sdk}",
                "remove sdkVersion (the Dockerfile or static files decide the versions)",
            )
        elif not VERSION.match(spec.sdk_version):
            ctx.error(("spec", "sdkVersion"), f"sdkVersion {spec.sdk_version!r} is not a version number like 6.15.1")
    if spec.card.app_port is not None and spec.sdk != "docker":
        ctx.error(("spec", "card", "appPort"), f"appPort only applies to docker Spaces; this one uses sdk {spec.sdk}")
    if spec.sleep_time is not None and spec.sleep_time != -1 and spec.sleep_time <= 0:
        ctx.error(("spec", "sleepTime"), "sleepTime must be a number of seconds > 0, or -1 to never sleep")
    for key in sorted(set(spec.card.extra) & set(MANAGED_KEYS)):
        ctx.error(
            ("spec", "card", "extra", key),
            f"card.extra.{key} is managed by the manifest",
            f"set {MANAGED_KEYS[key]} instead",
        )
    _names(ctx, spec)
    _volumes(ctx, spec)
    _lifecycle(ctx, space)


def _names(ctx: DocContext, spec: SpaceSpec) -> None:
    for section in ("variables", "secrets"):
        for name in getattr(spec, section):
            if not ENV_NAME.match(name):
                # A secret's name is not echoed: `K=value` in the key position carries the value.
                shown = f" {name!r}" if section == "variables" else ""
                ctx.error(
                    ("spec", section, name),
                    f"{section[:-1]} name{shown} is not a valid environment "
                    "variable name (letters, digits and '_', not starting with a digit)",
                    key=True,
                )
    for name in sorted(set(spec.variables) & set(spec.secrets)):
        ctx.error(
            ("spec", "secrets", name),
            f"{secret_name(name)} is both a variable and a secret; the Hub allows one of them",
            key=True,
        )


def _volumes(ctx: DocContext, spec: SpaceSpec) -> None:
    seen: dict[str, int] = {}
    for index, volume in enumerate(spec.volumes):
        path = ("spec", "volumes", index, "mountPath")
        if not volume.mount_path.startswith("/"):
            ctx.error(
                path,
                f"volume mountPath {volume.mount_path!r} must be an absolute path",
                f"write /{volume.mount_path.lstrip('./')}",
            )
            continue
        normal = posixpath.normpath(volume.mount_path)
        if normal in seen:
            ctx.error(path, f"mountPath {normal} is already used by spec.volumes[{seen[normal]}]")
        else:
            seen[normal] = index
        if volume.source.count("/") != 1 or any(map(repo_part_problem, volume.source.split("/"))):
            ctx.error(
                ("spec", "volumes", index, "source"),
                f"volume source {volume.source!r} must be a repository or bucket id like acme/data",
            )


def _lifecycle(ctx: DocContext, space: Space) -> None:
    lifecycle = space.spec.lifecycle
    for index, field_path in enumerate(lifecycle.ignore_changes):
        parts = field_path.split(".")
        where = ("spec", "lifecycle", "ignoreChanges", index)
        if parts[0] != "spec" or len(parts) < 2 or parts[1] not in IGNORABLE:
            guess = did_you_mean(parts[1] if len(parts) > 1 else field_path, IGNORABLE)
            ctx.error(
                where,
                f"ignoreChanges entry {field_path!r} is not a field path like spec.hardware"
                + (f"; did you mean 'spec.{guess}'?" if guess else ""),
                f"fields: {', '.join('spec.' + f for f in IGNORABLE)}",
            )
        elif len(parts) > 2 and parts[1] not in NESTED:
            ctx.error(where, f"ignoreChanges entry {field_path!r}: spec.{parts[1]} has no sub-fields")
    for index, rule in enumerate(lifecycle.ignore_lint):
        if rule not in RULES and rule not in RETIRED_RULES:
            guess = did_you_mean(rule, list(RULES))
            ctx.error(
                ("spec", "lifecycle", "ignoreLint", index),
                f"unknown lint rule {rule!r}" + (f"; did you mean {guess!r}?" if guess else ""),
                f"rules: {', '.join(RULES)}",
            )


def resolve_secrets(
    ctx: DocContext, spec: SpaceSpec, base: Path, root: str, ignores: gitignored.Ignores | None
) -> dict[str, SecretRef]:
    """SecretRefs with fromFile made absolute; refuses files outside the repository."""
    result: dict[str, SecretRef] = {}
    for name, ref in spec.secrets.items():
        shown = secret_name(name)
        if ref.from_env is not None:
            if not ENV_NAME.match(ref.from_env):
                # Not echoed: a value typed where the variable name belongs is likely the secret.
                ctx.error(
                    ("spec", "secrets", name, "fromEnv"),
                    f"secret {shown}: fromEnv must name an environment variable (letters, digits, '_')",
                    f"`{shown}: {{fromEnv: {shown}}}` reads the value from ${shown}",
                )
                continue
            if workflow_credential(ref.from_env):
                at = ("spec", "secrets", name, "fromEnv")
                if not ref.allow_workflow_credential:
                    ctx.error(
                        at,
                        f"secret {shown} reads {ref.from_env}, a credential of the workflow that runs the "
                        "reconciler; the Space's code (and whoever can merge to it) would get that credential",
                        "give the Space a token of its own (e.g. fromEnv: SPACE_HF_TOKEN), or set "
                        "allowWorkflowCredential: true on this secret if that is really intended",
                    )
                    continue
                if not follows_invalid(ctx, "workflow-credential"):
                    ctx.add(
                        Severity.WARNING,
                        f"secret {shown} hands the workflow's own credential {ref.from_env} to the Space "
                        "(allowWorkflowCredential: true)",
                        ctx.at(at),
                        "prefer a token scoped to what the Space needs",
                        "workflow-credential",
                    )
            result[name] = SecretRef(from_env=ref.from_env, preview=ref.preview)
            continue
        assert ref.from_file is not None
        absolute = os.path.abspath(base / ref.from_file)
        where = ("spec", "secrets", name, "fromFile")
        if not is_inside(absolute, root):
            ctx.error(
                where,
                f"secret {shown}: fromFile points outside the repository; refusing to read it",
                "keep secret files in the repository's git-ignored folder, or use fromEnv",
            )
            continue
        if in_git_dir(os.path.realpath(absolute), root):
            ctx.error(
                where,
                f"secret {shown}: fromFile points into the repository's .git; refusing to read it",
                "keep secret files in the repository's git-ignored folder, or use fromEnv",
            )
            continue
        not_ignored = ignores is not None and not ignores.ignored(os.path.realpath(absolute))
        if not_ignored and not follows_invalid(ctx, "secret-file-not-ignored"):
            ctx.add(
                Severity.WARNING,
                f"secret {shown}: fromFile reads a file git does not ignore; committed, its value is "
                "in the repository for anyone who can read it",
                ctx.at(where),
                "keep secret files in a folder the repository's .gitignore lists (e.g. secrets/)",
                "secret-file-not-ignored",
            )
        result[name] = SecretRef(from_file=absolute, preview=ref.preview)
    return result


def check_source(ctx: DocContext, spec: SpaceSpec, base: Path, cache: SourceCache) -> Listing | None:
    path = ("spec", "source", "path")
    folder = Path(os.path.abspath(base / spec.source.path))
    if not cache.inside(folder):
        ctx.error(path, f"source folder {spec.source.path!r} is outside the repository; refusing to upload it")
        return None
    real = os.path.realpath(folder)
    if real == cache.root:
        ctx.error(
            path,
            f"source folder {spec.source.path!r} is the repository root; refusing to upload the whole repository",
            "move the app into a folder of its own and point source.path at it",
        )
        return None
    if in_git_dir(real, cache.root):
        ctx.error(path, f"source folder {spec.source.path!r} is inside the repository's .git; refusing to upload it")
        return None
    if not folder.is_dir():
        what = "is not a folder" if folder.exists() else "does not exist"
        ctx.error(path, f"source folder {spec.source.path!r} {what} (resolved from the manifest's folder)")
        return None
    listing = cache.listing(folder, tuple(spec.source.exclude))
    for problem in listing.problems:
        ctx.error(path, f"source folder {spec.source.path!r}: {problem}")
    wanted = app_file(spec) if spec.sdk != "docker" else "Dockerfile"
    # A default app file that stands in for an invalid appFile is not what the user asked for.
    if wanted is not None and wanted not in listing.paths and not ctx.fell_back(("spec", "card", "appFile")):
        where = ("spec", "card", "appFile") if spec.card.app_file else path
        ctx.error(
            where,
            f"{spec.sdk} Space needs {wanted} in its source folder {spec.source.path!r}; it is missing"
            + (" or excluded" if spec.source.exclude else ""),
        )
    return listing
