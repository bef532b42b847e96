"""Differences -> Plan: the rung ladder, reasons, restarts and cost. Pure: no I/O, no Hub.

Desired and observed Spaces are matched once into pairs (by id); the pair decides create /
update / delete. Every rung decision comes with one human reason.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from reconciler.diff import SecretProbe, SpaceDiff, desired_settings, diff_space, observed_settings
from reconciler.errors import Diagnostic, Severity, UserError
from reconciler.model import (
    PREVENT_DESTROY_TAG,
    RUNG_ORDER,
    SENSITIVE,
    Action,
    Change,
    Cost,
    DesiredSpace,
    FileChanges,
    FileEntry,
    ObservedDigest,
    ObservedSpace,
    Plan,
    PlanEntry,
    Rung,
)

BUILD_INPUTS = frozenset({"requirements.txt", "pre-requirements.txt", "packages.txt", "Dockerfile"})
# Settings whose change makes the Hub restart the Space (sleep time and visibility do not).
RESTARTING_PREFIXES = ("spec.hardware", "spec.variables.", "spec.secrets.", "spec.volumes.", "spec.devMode")
HOT_RELOAD_MIN_GRADIO = (6, 1)
HOURS_PER_MONTH = 730


@dataclass(frozen=True)
class Pair:
    """One Space id with what git wants and what the Hub has; either side may be missing."""

    id: str
    desired: DesiredSpace | None
    observed: ObservedSpace | None
    probes: Mapping[str, SecretProbe] = field(default_factory=dict)


def pair_up(
    desired: Iterable[DesiredSpace],
    observed: Mapping[str, ObservedSpace],
    probes: Mapping[str, Mapping[str, SecretProbe]],
    prune_candidates: Iterable[ObservedSpace] = (),
) -> list[Pair]:
    pairs = [Pair(d.id, d, observed.get(d.id), probes.get(d.id, {})) for d in desired]
    wanted = {p.id for p in pairs}
    pairs += [Pair(o.id, None, o) for o in prune_candidates if o.id not in wanted]
    return sorted(pairs, key=lambda p: p.id)


def settings_digest(observed: ObservedSpace) -> str:
    """A digest of every observed setting apply could overwrite, to detect a stale plan."""
    view = observed_settings(observed, manage_sleep_time=True)
    view["secrets"] = {k: [s.description, s.updated_at] for k, s in sorted(observed.secrets.items())}
    canonical = json.dumps(view, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def _version(text: str | None) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", text or "")[:3])


def _names(paths: Iterable[str], limit: int = 3) -> str:
    items = sorted(paths)
    shown = ", ".join(items[:limit])
    return shown + (f" and {len(items) - limit} more" if len(items) > limit else "")


def hot_reload_blocker(desired: DesiredSpace, observed: ObservedSpace, files: FileChanges) -> str | None:
    """Why the hot-reload rung cannot be used for these file changes, or None if it can."""
    if files.deleted:
        return f"{_names(f.path for f in files.deleted)} deleted"
    not_python = [f.path for f in (*files.added, *files.modified) if not f.path.endswith(".py")]
    if not_python:
        return f"{_names(not_python)} not Python"
    if desired.sdk != "gradio":
        return f"SDK is {desired.sdk}, hot reload needs gradio"
    version = desired.sdk_version or str(desired.card.get("sdk_version") or "")
    if _version(version) < HOT_RELOAD_MIN_GRADIO:
        return f"gradio {version or '(unpinned)'} is older than 6.1"
    if observed.stage != "RUNNING":
        return f"the Space is not RUNNING (stage {observed.stage})"
    return None


def _settings_reasons(changes: Iterable[Change]) -> list[str]:
    groups: dict[str, int] = {}
    for change in changes:
        parts = change.path.split(".")
        group = parts[1] if len(parts) > 1 else change.path
        groups[group] = groups.get(group, 0) + 1
    restarting = [g for g in groups if any(f"spec.{g}".startswith(p.rstrip(".")) for p in RESTARTING_PREFIXES)]
    quiet = [g for g in groups if g not in restarting]
    reasons = []
    if restarting:
        reasons.append(f"{', '.join(restarting)} changed -> settings (the Hub restarts the Space once)")
    if quiet:
        reasons.append(f"{', '.join(quiet)} changed -> settings (no restart)")
    return reasons


def _restarts_for_settings(changes: Iterable[Change], observed: ObservedSpace) -> bool:
    for change in changes:
        if change.path.startswith(RESTARTING_PREFIXES):
            return True
        if change.path == "spec.paused" and change.after is False and observed.paused:
            return True  # un-pausing starts the Space again
    return False


def choose_rung(desired: DesiredSpace, observed: ObservedSpace, diff: SpaceDiff) -> tuple[Rung, list[str], int]:
    """The lowest rung that covers every difference, why, and how many restarts it costs."""
    settings = [c for c in diff.changes if not c.path.startswith("spec.card.") and c.path != "spec.sdk"]
    settings_restart = _restarts_for_settings(settings, observed)
    reasons = _settings_reasons(settings)
    files = diff.files
    rebuild_causes = []
    if diff.sdk_changed:
        rebuild_causes.append(f"SDK {observed.sdk} -> {desired.sdk}")
    if diff.card_changed:
        keys = [c.path.removeprefix("spec.card.") for c in diff.changes if c.path.startswith("spec.card.")]
        rebuild_causes.append(f"README front matter ({_names(keys)})")
    rebuild_causes += [p for p in files.paths() if p in BUILD_INPUTS]
    if rebuild_causes:
        return Rung.REBUILD, [*reasons, f"{_names(rebuild_causes)} changed -> rebuild"], 1
    if files:
        changed = _names(files.paths())
        blocker = hot_reload_blocker(desired, observed, files)
        if blocker is None and settings_restart:
            # The settings restart the Space anyway, and a Space that is restarting cannot hot
            # reload: one upload commit restarts it once, with the new code.
            blocker = "the settings change restarts the Space anyway"
        if blocker is None:
            version = desired.sdk_version or desired.card.get("sdk_version")
            reason = f"{changed} changed; only Python files changed on gradio {version} -> hot reload"
            return Rung.HOT_RELOAD, [*reasons, reason], 0
        return Rung.UPLOAD, [*reasons, f"{changed} changed; {blocker} -> upload"], 1
    if settings:
        return Rung.SETTINGS, reasons, 1 if settings_restart else 0
    return Rung.NONE, [], 0


def _cost(flavor: str | None, costs: Mapping[str, float]) -> float:
    return float(costs.get(flavor or "", 0.0))


def _all_files(desired: DesiredSpace) -> FileChanges:
    return FileChanges(added=tuple(FileEntry(path=f.path, size=f.size, oid=f.blob_id) for f in desired.files))


def _creation_changes(desired: DesiredSpace) -> tuple[Change, ...]:
    changes = [Change(path=path, after=value) for path, value in desired_settings(desired).items()]
    changes += [Change(path=f"spec.secrets.{name}", after=SENSITIVE, note="added") for name in desired.secrets]
    return tuple(sorted(changes, key=lambda c: c.path))


def plan_pair(pair: Pair, costs: Mapping[str, float], has_key: bool) -> PlanEntry:
    desired, observed = pair.desired, pair.observed
    if desired is None:
        assert observed is not None
        if PREVENT_DESTROY_TAG in (observed.card.get("tags") or ()):
            raise UserError(
                f"{pair.id}: has no manifest but carries lifecycle.preventDestroy "
                f"(tag {PREVENT_DESTROY_TAG!r}); --prune refuses to delete it",
                (
                    Diagnostic(
                        Severity.ERROR,
                        f"{pair.id}: refusing to prune a Space with preventDestroy",
                        hint="restore its manifest, or set preventDestroy: false and apply before pruning",
                    ),
                ),
            )
        return PlanEntry(
            id=pair.id,
            action=Action.DELETE,
            rung=Rung.DELETE,
            reasons=("managed by spaces-reconciler but in no manifest; --prune given -> delete",),
            cost=Cost(before_usd_per_hour=_cost(observed.hardware, costs)),
            observed=ObservedDigest(sha=observed.sha, settings_digest=settings_digest(observed)),
        )
    manifest = str(desired.source_ref)
    if observed is None:
        return PlanEntry(
            id=pair.id,
            action=Action.CREATE,
            rung=Rung.CREATE,
            reasons=("the Space does not exist -> create",),
            changes=_creation_changes(desired),
            files=_all_files(desired),
            cost=Cost(after_usd_per_hour=_cost(desired.hardware, costs)),
            manifest=manifest,
            warnings=_unavailable_secret_warnings(pair),
        )
    diff = diff_space(desired, observed, pair.probes, has_key)
    rung, reasons, restarts = choose_rung(desired, observed, diff)
    warnings = [f"secret {s.name}: {s.note}" for s in diff.secrets if s.state.value == "unknown here"]
    if not observed.settings_readable:
        warnings.insert(0, "variables and secrets were not compared: not readable with this token")
    return PlanEntry(
        id=pair.id,
        action=Action.NOOP if rung is Rung.NONE else Action.UPDATE,
        rung=rung,
        reasons=tuple(reasons),
        restarts=restarts,
        changes=diff.changes,
        files=diff.files,
        cost=Cost(
            before_usd_per_hour=_cost(observed.hardware, costs),
            after_usd_per_hour=_cost(
                observed.hardware if "spec.hardware" in desired.lifecycle.ignore_changes else desired.hardware, costs
            ),
        ),
        observed=ObservedDigest(sha=observed.sha, settings_digest=settings_digest(observed)),
        manifest=manifest,
        warnings=tuple(warnings),
        caveats=diff.caveats,
    )


def _unavailable_secret_warnings(pair: Pair) -> tuple[str, ...]:
    return tuple(
        f"secret {name}: value not available in this environment; apply will refuse to write it"
        for name in sorted(pair.desired.secrets if pair.desired else ())
        if not pair.probes.get(name, SecretProbe(available=False)).available
    )


def build_plan(
    pairs: Iterable[Pair],
    *,
    hub: str,
    created_at: str,
    costs: Mapping[str, float],
    has_key: bool,
    notes: Iterable[str] = (),
) -> Plan:
    pairs = list(pairs)
    entries = sorted((plan_pair(p, costs, has_key) for p in pairs), key=lambda e: e.id)
    summary = {rung.value: 0 for rung in RUNG_ORDER}
    for entry in entries:
        summary[entry.rung.value] += 1
    hourly = sum(e.cost.after_usd_per_hour - e.cost.before_usd_per_hour for e in entries)
    notes = list(notes)
    if not has_key and any(p.desired and p.desired.secrets for p in pairs):
        notes.append(
            "Secret value changes cannot be detected: set RECONCILE_FINGERPRINT_KEY (any long random "
            "string, kept in your CI secrets) so apply records fingerprints and plan can compare them."
        )
    return Plan(
        created_at=created_at,
        hub=hub,
        spaces=tuple(entries),
        summary=summary,
        monthly_cost_delta_usd=round(hourly * HOURS_PER_MONTH, 2),
        notes=tuple(notes),
    )
