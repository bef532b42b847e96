"""Desired x observed -> field and file differences. Pure: no I/O, no Hub.

Settings and front matter are flattened to `{path: value}` on both sides (paths as users
write them in `lifecycle.ignoreChanges`, e.g. "spec.hardware", "spec.variables.MODE") and
compared with deepdiff. Secrets are compared by fingerprint only (see reconciler.secrets).
Files are compared by path and content: a remote entry stored with LFS/Xet by sha256 and
size, a regular one by git blob id (RemoteFile.holds).
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from reconciler import secrets
from reconciler.model import (
    SENSITIVE,
    Caveat,
    Change,
    DesiredSpace,
    FileChanges,
    FileEntry,
    ObservedSpace,
    SecretState,
    SecretUnknown,
    Volume,
)
from reconciler.timestamps import parse_time

SERVER_OWNED_FILES = frozenset({".gitattributes"})
# What the Hub puts in a new static Space (hub-contract §13); the first commit removes what git lacks.
STATIC_STARTER_FILES = ("index.html", "style.css")
# What most Spaces of a plan share: one object, not one per Space.
NO_FILE_CHANGES = FileChanges()
# Volume types backed by a Hub repository: huggingface_hub 2.4 `Volume` documents readOnly as
# "Forced `True` for repos" (_space_api.py), so such a mount is read-only whatever was written.
REPO_VOLUME_TYPES = frozenset({"model", "dataset", "space"})
# A secret the Hub dates later than this after the reconciler's own write was rewritten by
# someone else. Both times are the Hub's: `updatedAt`, and the write time in the description,
# taken from the Hub's Date headers (hub/clock.py) when the write was sent; the runner's clock,
# however far off, plays no part. The margin covers the request's travel and the Date header's
# one-second resolution; a rewrite within it of our own write goes unseen.
OUTSIDE_WRITE_MARGIN_S = 60


@dataclass(frozen=True)
class SecretProbe:
    """What the planner may know about a desired secret value: never the value itself.

    available: the value can be read in this environment (env var set / file present).
    fingerprint: HMAC of the value; None when unavailable or no fingerprint key is set.
    """

    available: bool
    fingerprint: str | None = None
    # --rewrite-unreadable-secrets: a secret whose description the Hub does not return is
    # rewritten (taking ownership) instead of left alone as unknown.
    rewrite_unreadable: bool = False


@dataclass(frozen=True)
class SecretDiff:
    name: str
    state: SecretState
    note: str
    unknown: SecretUnknown | None = None  # set exactly when state is UNKNOWN
    # The fingerprint of the value apply would write (ADDED or CHANGED, with a fingerprint key):
    # a reviewed plan holding it goes stale when the value changes again before apply.
    planned: str | None = None

    @property
    def is_change(self) -> bool:
        return self.state not in (SecretState.UNCHANGED, SecretState.UNKNOWN)

    def as_change(self) -> Change:
        before = None if self.state is SecretState.ADDED else SENSITIVE
        after = None if self.state is SecretState.REMOVED else SENSITIVE
        return Change(
            path=f"spec.secrets.{self.name}",
            before=before,
            after=after,
            note=self.note,
            secret=self.state,
            planned_fingerprint=self.planned,
        )


@dataclass(frozen=True)
class SpaceDiff:
    """Every difference for one Space that exists on both sides."""

    settings: tuple[Change, ...] = ()
    secrets: tuple[SecretDiff, ...] = ()
    files: FileChanges = field(default_factory=FileChanges)
    card_changed: bool = False
    sdk_changed: bool = False
    caveats: tuple[Caveat, ...] = ()

    @property
    def changes(self) -> tuple[Change, ...]:
        secret_changes = tuple(s.as_change() for s in self.secrets if s.is_change)
        return tuple(sorted((*self.settings, *secret_changes), key=lambda c: c.path))


def volume_view(volume: Volume) -> dict[str, Any]:
    """A volume as compared: defaults (None, readOnly false) dropped so both sides agree.

    A repository mount is read-only on the Hub whatever was written (REPO_VOLUME_TYPES), so
    it compares as read-only on both sides; anything else would be a difference apply cannot close.
    """
    view: dict[str, Any] = {"type": volume.type, "source": volume.source}
    if volume.revision is not None:
        view["revision"] = volume.revision
    if volume.read_only or volume.type in REPO_VOLUME_TYPES:
        view["readOnly"] = True
    if volume.path is not None:
        view["path"] = volume.path
    return view


def desired_settings(desired: DesiredSpace) -> dict[str, Any]:
    flat: dict[str, Any] = {
        "spec.sdk": desired.sdk,
        "spec.hardware": desired.hardware,
        "spec.visibility": desired.visibility,
        "spec.devMode": desired.dev_mode,
        "spec.paused": desired.paused,
    }
    if desired.sleep_time is not None:
        flat["spec.sleepTime"] = desired.sleep_time
    flat.update({f"spec.variables.{k}": v for k, v in desired.variables.items()})
    flat.update({f"spec.volumes.{v.mount_path}": volume_view(v) for v in desired.volumes})
    flat.update({f"spec.card.{k}": v for k, v in desired.card.items()})
    return flat


def observed_settings(observed: ObservedSpace, manage_sleep_time: bool) -> dict[str, Any]:
    flat: dict[str, Any] = {
        "spec.sdk": observed.sdk,
        "spec.hardware": observed.hardware,
        "spec.visibility": observed.visibility,
        "spec.devMode": observed.dev_mode,
        "spec.paused": observed.paused,
    }
    if manage_sleep_time:
        # The runtime reports no gcTimeout for a Space that never sleeps (manifest: -1).
        flat["spec.sleepTime"] = observed.sleep_time if observed.sleep_time is not None else -1
    flat.update({f"spec.variables.{k}": v.value for k, v in observed.variables.items()})
    flat.update({f"spec.volumes.{v.mount_path}": volume_view(v) for v in observed.volumes})
    flat.update({f"spec.card.{k}": v for k, v in observed.card.items()})
    return flat


def readable_visibility(desired: str, observed: ObservedSpace) -> str:
    """The desired visibility as the Hub can show it: protected reads as private when the Hub
    reports only `private` (see ObservedSpace.visibility_exact)."""
    if desired == "protected" and not observed.visibility_exact and observed.visibility == "private":
        return "private"
    return desired


def visibility_caveats(desired: DesiredSpace, observed: ObservedSpace) -> tuple[Caveat, ...]:
    if desired.visibility == "protected" and not observed.visibility_exact:
        return (Caveat.PROTECTED_READS_AS_PRIVATE,)
    return ()


def hand_mounted_volumes(desired: DesiredSpace, observed: ObservedSpace) -> tuple[Volume, ...]:
    declared = {v.mount_path for v in desired.volumes}
    return tuple(v for v in observed.volumes if v.mount_path not in declared)


def merge_volumes(live: tuple[Volume, ...], declared: tuple[Volume, ...]) -> list[Volume]:
    """What apply mounts: the declared volumes replace only their own mount paths; mounts added
    by hand are kept (drift reports them, see hand_mounted_volumes)."""
    declared_paths = {v.mount_path for v in declared}
    kept = [v for v in live if v.mount_path not in declared_paths]
    return sorted([*kept, *declared], key=lambda v: v.mount_path)


def _fold(path: str) -> str:
    # Manifests name card fields in camelCase (spec.card.shortDescription) while front matter
    # keys are snake_case (short_description): compare paths with both spellings folded.
    return path.replace("_", "").lower()


@functools.lru_cache(maxsize=8192)
def is_ignored(path: str, ignore: tuple[str, ...]) -> bool:
    # Cached: a fleet's Spaces share their setting paths and rules, and a plan asks about every
    # path of every Space while its Hub reads are in flight (P2).
    folded = _fold(path)
    return any(folded == _fold(rule) or folded.startswith(_fold(rule) + ".") for rule in ignore)


def compare_settings(
    before: Mapping[str, Any], after: Mapping[str, Any], ignore: tuple[str, ...]
) -> tuple[Change, ...]:
    """Field-by-field differences of two flat settings maps, ignored paths removed."""
    if ignore:
        before = {k: v for k, v in before.items() if not is_ignored(k, ignore)}
        after = {k: v for k, v in after.items() if not is_ignored(k, ignore)}
    if before == after:
        return ()  # the common case in a large fleet; DeepDiff costs about a millisecond a Space
    # Imported here, where a setting differs: deepdiff imports pandas and numpy at its own import
    # when they are installed (deephash.py, helper.py), about 50 MB that an apply uploading a
    # large file would otherwise carry from its start (benchmark P9).
    from deepdiff import DeepDiff

    found = DeepDiff(before, after, view="tree", verbose_level=2)
    # In tree view every report's path starts with the flat key; nested differences inside a
    # value (a volume's fields, a card list) are reported once, for the whole key.
    changed = {level.path(output_format="list")[0] for report in found.values() for level in report}
    return tuple(Change(path=path, before=before.get(path), after=after.get(path)) for path in sorted(changed))


def compare_secrets(
    desired: DesiredSpace, observed: ObservedSpace, probes: Mapping[str, SecretProbe], has_key: bool
) -> tuple[SecretDiff, ...]:
    results: list[SecretDiff] = []
    ignore = desired.lifecycle.ignore_changes
    for name in sorted(set(desired.secrets) | set(observed.secrets)):
        if is_ignored(f"spec.secrets.{name}", ignore):
            continue
        probe = probes.get(name, SecretProbe(available=False))
        if name not in observed.secrets:
            note = "added" if probe.available else "added; value not available here, apply will refuse to write it"
            results.append(SecretDiff(name, SecretState.ADDED, note, planned=probe.fingerprint))
            continue
        if name not in desired.secrets:
            results.append(SecretDiff(name, SecretState.REMOVED, "removed"))
            continue
        found = _compare_secret(name, observed.secrets[name], probe, has_key)
        if found.state is SecretState.CHANGED:
            found = replace(found, planned=probe.fingerprint)
        results.append(found)
    return tuple(results)


def _compare_secret(name: str, live: Any, probe: SecretProbe, has_key: bool) -> SecretDiff:
    if live.description is None and live.updated_at is None:
        # The Hub may not return a secret's description and date (hub-contract §13): then nothing
        # tells who wrote it or whether its value changed, so it is never reported changed. (A
        # date without a description is a secret written without one: by hand.)
        if probe.rewrite_unreadable and probe.available:
            return SecretDiff(
                name, SecretState.CHANGED, "no description readable; rewritten (--rewrite-unreadable-secrets)"
            )
        return SecretDiff(
            name,
            SecretState.UNKNOWN,
            "the Hub returned no description: whether the value changed cannot be told here",
            SecretUnknown.DESCRIPTION_UNREADABLE,
        )
    description = live.description or ""
    ours = "spaces-reconciler" in description
    recorded = secrets.parse(description)
    updated = parse_time(live.updated_at)
    if recorded and updated is not None and updated > recorded.written_at + OUTSIDE_WRITE_MARGIN_S:
        return SecretDiff(
            name, SecretState.CHANGED_OUTSIDE, f"changed outside git: updated at {live.updated_at}, after our write"
        )
    if not probe.available:
        why = "" if ours else "; not written by spaces-reconciler"
        return SecretDiff(
            name, SecretState.UNKNOWN, f"value not available in this environment{why}", SecretUnknown.VALUE_UNAVAILABLE
        )
    if not ours:
        return SecretDiff(name, SecretState.CHANGED_OUTSIDE, "changed outside git: not written by spaces-reconciler")
    if not has_key or probe.fingerprint is None:
        return SecretDiff(
            name,
            SecretState.UNKNOWN,
            "value changes not detectable without a fingerprint key",
            SecretUnknown.NO_FINGERPRINT_KEY,
        )
    if recorded is None:
        return SecretDiff(name, SecretState.CHANGED, "no fingerprint recorded yet; rewritten to record one")
    if recorded.fingerprint != probe.fingerprint:
        return SecretDiff(name, SecretState.CHANGED, "value changed")
    return SecretDiff(name, SecretState.UNCHANGED, "unchanged")


def compare_files(desired: DesiredSpace, observed: ObservedSpace) -> FileChanges:
    wanted = {f.path: f for f in desired.files}
    live = {f.path: f for f in observed.files if f.path not in SERVER_OWNED_FILES or f.path in wanted}
    added = [FileEntry(path=p, size=f.size, oid=f.blob_id) for p, f in wanted.items() if p not in live]
    modified = [
        FileEntry(path=p, size=f.size, oid=f.blob_id)
        for p, f in wanted.items()
        if p in live and not live[p].holds(f)  # a SourceFile carries its ContentId's fields
    ]
    deleted = [FileEntry(path=p, size=f.size, oid=f.blob_id) for p, f in live.items() if p not in wanted]
    if not (added or modified or deleted):
        return NO_FILE_CHANGES
    return FileChanges(
        added=tuple(sorted(added, key=lambda e: e.path)),
        modified=tuple(sorted(modified, key=lambda e: e.path)),
        deleted=tuple(sorted(deleted, key=lambda e: e.path)),
    )


UNREADABLE = "not readable with this token (no token, or no access to the Space's settings)"


def _without_settings_access(desired: DesiredSpace, observed: ObservedSpace, settings: tuple[Change, ...]) -> SpaceDiff:
    """Variables and secrets could not be read: leave them out rather than guess."""
    kept = tuple(
        c
        for c in settings
        if not c.path.startswith("spec.variables.") and not (c.path.startswith("spec.volumes.") and c.after is None)
    )
    return SpaceDiff(
        settings=kept,
        secrets=tuple(
            SecretDiff(name, SecretState.UNKNOWN, UNREADABLE, SecretUnknown.SETTINGS_UNREADABLE)
            for name in sorted(desired.secrets)
        ),
        files=compare_files(desired, observed),
        card_changed=any(c.path.startswith("spec.card.") for c in kept),
        sdk_changed=any(c.path == "spec.sdk" for c in kept),
        caveats=visibility_caveats(desired, observed),
    )


def diff_space(
    desired: DesiredSpace, observed: ObservedSpace, probes: Mapping[str, SecretProbe], has_key: bool
) -> SpaceDiff:
    ignore = desired.lifecycle.ignore_changes
    if desired.sdk == "static":
        ignore = (*ignore, "spec.hardware")  # static Spaces run on no hardware; the Hub reports none
    if desired.hardware == "cpu-basic":
        ignore = (*ignore, "spec.sleepTime")  # the Hub ignores sleep time on free hardware (lint warns)
    wanted = desired_settings(desired)
    wanted["spec.visibility"] = readable_visibility(desired.visibility, observed)
    settings = compare_settings(
        observed_settings(observed, manage_sleep_time=desired.sleep_time is not None), wanted, ignore
    )
    if not observed.settings_readable:
        return _without_settings_access(desired, observed, settings)
    # Mounts added by hand are kept by apply (set_space_volumes replaces every mount, so apply
    # merges); they are drift to report, not a change to plan.
    settings = tuple(c for c in settings if not (c.path.startswith("spec.volumes.") and c.after is None))
    return SpaceDiff(
        settings=settings,
        secrets=compare_secrets(desired, observed, probes, has_key),
        files=compare_files(desired, observed),
        card_changed=any(c.path.startswith("spec.card.") for c in settings),
        sdk_changed=any(c.path == "spec.sdk" for c in settings),
        caveats=visibility_caveats(desired, observed),
    )
