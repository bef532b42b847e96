"""A reviewed plan that goes stale only because the Space's runtime moved on (e.g. it finished
building, so the rung is now a hot reload) must say so, not blame the manifests."""

from __future__ import annotations

from reconciler.model import Action, Change, Plan, PlanEntry, Rung, SecretState
from reconciler.render.stale_text import stale_text
from reconciler.stale import Stale, StaleCause, stale_entries


def _plan(rung: Rung, *changes: Change) -> Plan:
    entry = PlanEntry(id="acme/demo", action=Action.UPDATE, rung=rung, changes=changes)
    return Plan(created_at="2026-11-22T10:00:00Z", hub="http://hub", spaces=(entry,))


def test_a_rung_change_alone_is_reported_as_such() -> None:
    problems = stale_entries(_plan(Rung.UPLOAD), _plan(Rung.HOT_RELOAD))
    assert problems == [Stale("acme/demo", StaleCause.RUNTIME, rungs=(Rung.UPLOAD, Rung.HOT_RELOAD))]
    assert stale_text(problems[0]) == (
        "acme/demo: its runtime changed on the Hub since the plan was made (rung upload -> hot-reload)"
    )


def _secret(name: str, state: SecretState) -> Change:
    return Change(path=f"spec.secrets.{name}", before="(sensitive)", after="(sensitive)", note="x", secret=state)


def test_a_secret_value_that_changed_is_named_and_a_manifest_field_is_told_apart() -> None:
    reviewed = _plan(Rung.SETTINGS, Change(path="spec.hardware", before="cpu-basic", after="t4-small"))
    fresh = _plan(
        Rung.SETTINGS,
        Change(path="spec.hardware", before="cpu-basic", after="cpu-upgrade"),
        _secret("API_KEY", SecretState.CHANGED),
        Change(path="spec.secrets.NEW", after="(sensitive)", note="added", secret=SecretState.ADDED),
    )
    found = stale_entries(reviewed, fresh)
    assert found == [
        Stale("acme/demo", StaleCause.FIELDS, ("spec.hardware", "spec.secrets.NEW")),
        Stale("acme/demo", StaleCause.SECRET_VALUES, ("API_KEY",)),
    ]
    assert [stale_text(s) for s in found] == [
        "acme/demo: the manifests changed spec.hardware, spec.secrets.NEW since the plan was made",
        "acme/demo: the value of secret API_KEY changed since the plan was made",
    ]
