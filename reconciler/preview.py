"""Pull-request preview Spaces: a private copy `<name>-pr-<N>` of each Space a pull request changes.

A copy is the manifest's DesiredSpace with a rewritten id, so it goes through the normal plan
and apply code. It differs from the real Space only where a preview must be safer or cheaper:
private; a short sleep time on paid hardware (the Hub ignores sleep time on cpu-basic, where
free Spaces sleep on their own); only the secrets the manifest marks `preview: true`; volumes
mounted read-only, so a preview never writes the fleet's data; never preventDestroy. It keeps
the ownership tag and gets PREVIEW_TAG, which `preview down` requires before deleting anything
and which keeps `--prune` away from it.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from reconciler.apply import ApplyOptions, Outcome, apply_entries
from reconciler.errors import ReconcileError, UserError
from reconciler.hub.client import HubClient
from reconciler.hub.observe import list_namespace
from reconciler.hub.writes import SpaceWriter
from reconciler.manifests import render_readme
from reconciler.manifests.card import split_front_matter
from reconciler.manifests.source import README, generated
from reconciler.model import OWNERSHIP_TAG, PREVENT_DESTROY_TAG, PREVIEW_TAG, DesiredSpace, Rung, SourceFile
from reconciler.pipeline import Selection, make_plan

# Seconds of inactivity before a preview on paid hardware sleeps: previews are looked at for a
# few minutes after a push, and an idle GPU copy per pull request would cost real money.
PREVIEW_SLEEP_S = 300
FREE_HARDWARE = "cpu-basic"
# Space names are at most 96 characters on the Hub.
MAX_NAME = 96

Progress = Callable[[str, str], None]


class PreviewOutcome(str, enum.Enum):
    APPLIED = "applied"
    UNCHANGED = "unchanged"
    FAILED = "failed"
    REFUSED = "refused"
    DELETED = "deleted"


@dataclass(frozen=True)
class PreviewResult:
    id: str
    source: str
    url: str
    outcome: PreviewOutcome
    rung: str = ""
    message: str = ""


def preview_id(space_id: str, pr: int) -> str:
    namespace, name = space_id.split("/", 1)
    suffix = f"-pr-{pr}"
    return f"{namespace}/{name[: MAX_NAME - len(suffix)]}{suffix}"


def space_url(endpoint: str, space_id: str) -> str:
    return f"{endpoint.rstrip('/')}/spaces/{space_id}"


def _preview_tags(tags: object) -> list[str]:
    kept = [t for t in tags if isinstance(t, str)] if isinstance(tags, (list, tuple)) else []
    kept = [t for t in kept if t != PREVENT_DESTROY_TAG]
    return [*dict.fromkeys([*kept, OWNERSHIP_TAG, PREVIEW_TAG])]


def _readme(files: Iterable[SourceFile], card: dict[str, object]) -> tuple[SourceFile, ...]:
    """The files with README.md regenerated for the preview's front matter (same body)."""
    result = []
    for source in files:
        if source.path == README:
            _, body = split_front_matter((source.content or b"").decode("utf-8"))  # README.md is always generated
            source = generated(README, render_readme(card, body))
        result.append(source)
    return tuple(result)


def preview_copy(space: DesiredSpace, pr: int, sleep_s: int = PREVIEW_SLEEP_S) -> DesiredSpace:
    card = dict(space.card)
    card["tags"] = _preview_tags(card.get("tags"))
    return space.model_copy(
        update={
            "id": preview_id(space.id, pr),
            "visibility": "private",
            "sleep_time": None if space.hardware == FREE_HARDWARE else sleep_s,
            "dev_mode": False,
            "paused": False,
            "secrets": {name: ref for name, ref in space.secrets.items() if ref.preview},
            "volumes": tuple(v.model_copy(update={"read_only": True}) for v in space.volumes),
            "card": card,
            "files": _readme(space.files, card),
            "lifecycle": space.lifecycle.model_copy(update={"prevent_destroy": False}),
        }
    )


def changed_spaces(client: HubClient, desired: Sequence[DesiredSpace], parallelism: int) -> list[DesiredSpace]:
    """The Spaces whose manifest differs from the real Space (rung other than none)."""
    plan, _ = make_plan(client, desired, parallelism=parallelism)
    changed = {e.id for e in plan.spaces if e.rung not in (Rung.NONE, Rung.DELETE)}
    return [d for d in desired if d.id in changed]


def preview_up(
    client: HubClient,
    desired: Sequence[DesiredSpace],
    pr: int,
    options: ApplyOptions,
    progress: Progress,
    sleep_s: int = PREVIEW_SLEEP_S,
) -> list[PreviewResult]:
    """Create or update the previews of this pull request; delete its previews of Spaces it no longer changes."""
    real_ids = {d.id for d in desired}
    changed = changed_spaces(client, desired, options.parallelism)
    copies = {preview_id(d.id, pr): (d.id, preview_copy(d, pr, sleep_s)) for d in changed}
    clash = sorted(real_ids & copies.keys())
    if clash:
        raise UserError(f"preview names clash with Spaces of the fleet: {', '.join(clash)}")
    results: list[PreviewResult] = []
    if copies:
        selection = Selection(targets=tuple(sorted(copies)))
        plan, observation = make_plan(
            client, [c for _, c in copies.values()], selection=selection, parallelism=options.parallelism
        )
        todo = []
        for entry in plan.spaces:
            source, _ = copies[entry.id]
            live = observation.observed.get(entry.id)
            if live is not None and PREVIEW_TAG not in (live.card.get("tags") or ()):
                message = f"{entry.id} exists and is not a preview made by this tool; left untouched"
                results.append(_result(client, entry.id, source, PreviewOutcome.REFUSED, entry.rung, message))
            else:
                todo.append(entry)
        applied = apply_entries(
            client, tuple(todo), {c.id: c for _, c in copies.values()}, observation.observed, options, progress
        )
        for done in applied:
            outcome = {
                Outcome.APPLIED: PreviewOutcome.APPLIED,
                Outcome.UNCHANGED: PreviewOutcome.UNCHANGED,
            }.get(done.outcome, PreviewOutcome.FAILED)
            results.append(_result(client, done.id, copies[done.id][0], outcome, done.rung, done.message))
    namespaces = {d.namespace for d in desired}
    for stale in _previews_of(client, namespaces, pr):
        if stale not in copies:
            results.append(_delete(client, stale, progress))
    return sorted(results, key=lambda r: r.id)


def preview_down(
    client: HubClient, desired: Sequence[DesiredSpace], pr: int, namespaces: Iterable[str], progress: Progress
) -> list[PreviewResult]:
    """Delete every `*-pr-<N>` Space in the watched namespaces that carries the preview tag."""
    watched = {d.namespace for d in desired} | set(namespaces)
    return [_delete(client, space_id, progress) for space_id in _previews_of(client, watched, pr)]


def _previews_of(client: HubClient, namespaces: Iterable[str], pr: int) -> list[str]:
    found = []
    for namespace in sorted(set(namespaces)):
        for space_id, listed in list_namespace(client, namespace).items():
            tags = listed.card.get("tags") or ()
            if space_id.endswith(f"-pr-{pr}") and PREVIEW_TAG in tags and OWNERSHIP_TAG in tags:
                found.append(space_id)
    return sorted(found)


def _delete(client: HubClient, space_id: str, progress: Progress) -> PreviewResult:
    progress(space_id, "deleting preview")
    try:
        SpaceWriter(client, space_id).delete()
    except ReconcileError as problem:
        return _result(client, space_id, "", PreviewOutcome.FAILED, Rung.DELETE, str(problem))
    return _result(client, space_id, "", PreviewOutcome.DELETED, Rung.DELETE, "deleted")


def _result(
    client: HubClient, space_id: str, source: str, outcome: PreviewOutcome, rung: Rung, message: str
) -> PreviewResult:
    url = "" if outcome is PreviewOutcome.DELETED else space_url(client.endpoint, space_id)
    return PreviewResult(space_id, source, url, outcome, rung.value, message)
