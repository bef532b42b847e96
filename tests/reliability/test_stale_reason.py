"""A reviewed plan that goes stale only because the Space's runtime moved on (e.g. it finished
building, so the rung is now a hot reload) must say so, not blame the manifests."""

from __future__ import annotations

from reconciler.model import Action, Plan, PlanEntry, Rung
from reconciler.stale import stale_entries


def _plan(rung: Rung) -> Plan:
    entry = PlanEntry(id="acme/demo", action=Action.UPDATE, rung=rung)
    return Plan(created_at="2026-11-22T10:00:00Z", hub="http://hub", spaces=(entry,))


def test_a_rung_change_alone_is_reported_as_such() -> None:
    problems = stale_entries(_plan(Rung.UPLOAD), _plan(Rung.HOT_RELOAD))
    assert len(problems) == 1
    assert "manifests or files changed" not in problems[0]
    assert "upload -> hot-reload" in problems[0]
