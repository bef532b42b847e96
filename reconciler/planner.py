"""Differences -> Plan: the rung ladder, reasons, restarts and cost. Pure: no I/O, no Hub.

Desired and observed Spaces are matched once into pairs (by id); the pair decides create /
update / delete. Every rung decision is a RungDecision: typed reasons (worded by renderers)
and the restarts it costs, both read from the one SETTING_EFFECTS table.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from reconciler import interning
from reconciler.diff import (
    STATIC_STARTER_FILES,
    SecretDiff,
    SecretProbe,
    SpaceDiff,
    desired_settings,
    diff_space,
    observed_settings,
)
from reconciler.errors import UserError
from reconciler.health import Stage
from reconciler.model import (
    PREVENT_DESTROY_TAG,
    RUNG_ORDER,
    Action,
    Blocker,
    BlockerCode,
    Change,
    Cost,
    DesiredSpace,
    Effect,
    FileChanges,
    FileEntry,
    ObservedDigest,
    ObservedSpace,
    Plan,
    PlanEntry,
    Reason,
    ReasonCode,
    Rung,
    RungDecision,
    SecretState,
    effect_of,
    setting_group,
)
from reconciler.steps import steps_for

BUILD_INPUTS = frozenset({"requirements.txt", "pre-requirements.txt", "packages.txt", "Dockerfile"})
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


def hot_reload_blocker(desired: DesiredSpace, observed: ObservedSpace, files: FileChanges) -> Blocker | None:
    """Why the hot-reload rung cannot be used for these file changes, or None if it can."""
    if files.deleted:
        return Blocker(code=BlockerCode.FILES_DELETED, subjects=tuple(f.path for f in files.deleted))
    not_python = tuple(f.path for f in (*files.added, *files.modified) if not f.path.endswith(".py"))
    if not_python:
        return Blocker(code=BlockerCode.NOT_PYTHON, subjects=not_python)
    if desired.sdk != "gradio":
        return Blocker(code=BlockerCode.NOT_GRADIO, detail=desired.sdk)
    version = desired.sdk_version or str(desired.card.get("sdk_version") or "")
    if _version(version) < HOT_RELOAD_MIN_GRADIO:
        return Blocker(code=BlockerCode.OLD_GRADIO, detail=version)
    if observed.stage is not Stage.RUNNING:
        return Blocker(code=BlockerCode.NOT_RUNNING, detail=observed.stage.value if observed.stage else None)
    return None


def _groups(changes: Iterable[Change], effect: Effect) -> tuple[str, ...]:
    return tuple(dict.fromkeys(setting_group(c.path) for c in changes if effect_of(c.path) is effect))


def settings_decision(changes: Sequence[Change], observed: ObservedSpace) -> RungDecision:
    """The settings part of a decision: its reasons, and whether it restarts the Space (SETTING_EFFECTS)."""
    reasons: list[Reason] = []
    restarting = _groups(changes, Effect.RESTARTS)
    if restarting:
        reasons.append(Reason(code=ReasonCode.SETTINGS_RESTART, subjects=restarting))
    starts = False
    for change in changes:
        if effect_of(change.path) is Effect.STARTS_OR_STOPS:
            resume = change.after is False and observed.paused
            starts = starts or resume
            code = ReasonCode.SETTINGS_START if resume else ReasonCode.SETTINGS_STOP
            reasons.append(Reason(code=code, subjects=(setting_group(change.path),)))
    quiet = _groups(changes, Effect.QUIET)
    if quiet:
        reasons.append(Reason(code=ReasonCode.SETTINGS_QUIET, subjects=quiet))
    restarts = 1 if restarting or starts else 0
    return RungDecision(rung=Rung.SETTINGS if changes else Rung.NONE, reasons=tuple(reasons), restarts=restarts)


def _settings_blocker(changes: Sequence[Change]) -> Blocker | None:
    # A Space that restarts, starts or stops cannot hot reload: one upload commit covers both.
    effects = {effect_of(c.path) for c in changes}
    if Effect.STARTS_OR_STOPS in effects:
        return Blocker(code=BlockerCode.SETTINGS_PAUSE)
    if Effect.RESTARTS in effects:
        return Blocker(code=BlockerCode.SETTINGS_RESTART)
    return None


def choose_rung(desired: DesiredSpace, observed: ObservedSpace, diff: SpaceDiff) -> RungDecision:
    """The lowest rung that covers every difference, why, and how many restarts it costs."""
    settings = [c for c in diff.changes if not c.path.startswith("spec.card.") and c.path != "spec.sdk"]
    base = settings_decision(settings, observed)
    files = diff.files
    rebuild_causes = []
    if diff.sdk_changed:
        rebuild_causes.append(f"SDK {observed.sdk} -> {desired.sdk}")
    if diff.card_changed:
        keys = [c.path.removeprefix("spec.card.") for c in diff.changes if c.path.startswith("spec.card.")]
        rebuild_causes.append(f"README front matter ({_names(keys)})")
    rebuild_causes += [p for p in files.paths() if p in BUILD_INPUTS]
    if rebuild_causes:
        reason = Reason(code=ReasonCode.REBUILD, subjects=tuple(rebuild_causes))
        return RungDecision(rung=Rung.REBUILD, reasons=(*base.reasons, reason), restarts=1)
    if files:
        changed = files.paths()
        blocker = hot_reload_blocker(desired, observed, files) or _settings_blocker(settings)
        if blocker is None:
            version = desired.sdk_version or desired.card.get("sdk_version")
            reason = Reason(code=ReasonCode.HOT_RELOAD, subjects=changed, detail=str(version))
            return RungDecision(rung=Rung.HOT_RELOAD, reasons=(*base.reasons, reason), restarts=0)
        reason = Reason(code=ReasonCode.UPLOAD, subjects=changed, blocker=blocker)
        return RungDecision(rung=Rung.UPLOAD, reasons=(*base.reasons, reason), restarts=1)
    return base


def _names(paths: Iterable[str], limit: int = 3) -> str:
    items = sorted(paths)
    shown = ", ".join(items[:limit])
    return shown + (f" and {len(items) - limit} more" if len(items) > limit else "")


def _cost(flavor: str | None, costs: Mapping[str, float]) -> float:
    return float(costs.get(flavor or "", 0.0))


def _all_files(desired: DesiredSpace) -> FileChanges:
    """A creation's files: every file of git, and the Hub's starter files git does not have."""
    paths = {f.path for f in desired.files}
    starter = tuple(p for p in STATIC_STARTER_FILES if p not in paths) if desired.sdk == "static" else ()
    return FileChanges(
        added=tuple(FileEntry(path=f.path, size=f.size, oid=f.blob_id) for f in desired.files), starter=starter
    )


def _creation_changes(desired: DesiredSpace, probes: Mapping[str, SecretProbe]) -> tuple[Change, ...]:
    changes = [Change(path=path, after=value) for path, value in desired_settings(desired).items()]
    # As an update adds a secret (diff.SecretDiff), with the value's fingerprint: apply --plan
    # refuses a value changed since.
    unavailable = SecretProbe(available=False)
    changes += [
        SecretDiff(name, SecretState.ADDED, "added", planned=probes.get(name, unavailable).fingerprint).as_change()
        for name in desired.secrets
    ]
    return tuple(sorted(changes, key=lambda c: c.path))


def plan_pair(pair: Pair, costs: Mapping[str, float], has_key: bool) -> PlanEntry:
    entry = _decide(pair, costs, has_key)
    steps = tuple(steps_for(entry, pair.desired))
    return entry.model_copy(update={"steps": steps}) if steps else entry


@functools.lru_cache(maxsize=256)
def _shared_cost(before: float, after: float) -> Cost:
    """One Cost per distinct pair of prices: a fleet on a few flavors has a few."""
    return Cost(before_usd_per_hour=before, after_usd_per_hour=after)


class PruneRefused(UserError):
    """--prune would delete Spaces that carry preventDestroy: nothing is written. The ids are
    the decision; the CLI words it once (render/words.py prune_refusal_text)."""

    def __init__(self, protected: Sequence[str]) -> None:
        self.protected = tuple(protected)
        super().__init__(f"--prune refuses to delete {', '.join(self.protected)}: preventDestroy; nothing was written")


def refuse_protected(pairs: Iterable[Pair]) -> None:
    """Stop before any write when --prune would delete a Space that carries preventDestroy,
    naming every such Space at once."""
    protected = sorted(
        p.id
        for p in pairs
        if p.desired is None and p.observed is not None and PREVENT_DESTROY_TAG in (p.observed.card.get("tags") or ())
    )
    if protected:
        raise PruneRefused(protected)


def _decide(pair: Pair, costs: Mapping[str, float], has_key: bool) -> PlanEntry:
    desired, observed = pair.desired, pair.observed
    if desired is None:
        assert observed is not None
        refuse_protected([pair])
        return PlanEntry(
            id=pair.id,
            action=Action.DELETE,
            rung=Rung.DELETE,
            reasons=(Reason(code=ReasonCode.PRUNE),),
            cost=_shared_cost(_cost(observed.hardware, costs), 0.0),
            observed=ObservedDigest(sha=observed.sha, settings_digest=settings_digest(observed)),
        )
    manifest = interning.text(str(desired.source_ref))  # every Space of a SpaceSet has the same
    if observed is None:
        return PlanEntry(
            id=pair.id,
            action=Action.CREATE,
            rung=Rung.CREATE,
            reasons=(Reason(code=ReasonCode.CREATE),),
            changes=_creation_changes(desired, pair.probes),
            files=_all_files(desired),
            cost=_shared_cost(0.0, _cost(desired.hardware, costs)),
            manifest=manifest,
            warnings=_unavailable_secret_warnings(pair),
        )
    diff = diff_space(desired, observed, pair.probes, has_key)
    decision = choose_rung(desired, observed, diff)
    rung = decision.rung
    warnings = [f"secret {s.name}: {s.note}" for s in diff.secrets if s.state is SecretState.UNKNOWN]
    if not observed.settings_readable:
        warnings.insert(0, "variables and secrets were not compared: not readable with this token")
    after_hardware = observed.hardware if "spec.hardware" in desired.lifecycle.ignore_changes else desired.hardware
    return PlanEntry(
        id=pair.id,
        action=Action.NOOP if rung is Rung.NONE else Action.UPDATE,
        rung=rung,
        reasons=decision.reasons,
        restarts=decision.restarts,
        changes=diff.changes,
        files=diff.files,
        cost=_shared_cost(_cost(observed.hardware, costs), _cost(after_hardware, costs)),
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
    planned: Mapping[str, PlanEntry] | None = None,
) -> Plan:
    """`planned`: entries already made with plan_pair for some of these pairs (same costs and key)."""
    pairs = list(pairs)
    refuse_protected(pairs)
    ready = planned or {}
    entries = sorted((ready.get(p.id) or plan_pair(p, costs, has_key) for p in pairs), key=lambda e: e.id)
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
