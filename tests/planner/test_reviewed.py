"""Which Spaces apply --plan observes again, and whether it prunes (reconciler/reviewed.py)."""

from __future__ import annotations

from reconciler.model import Action, Plan, PlanEntry, Rung
from reconciler.reviewed import reobservation
from tests.builders import desired

FLEET = [desired(f"acme/s{i}") for i in range(6)]


def plan_of(*entries: PlanEntry) -> Plan:
    return Plan(created_at="2026-12-01T00:00:00Z", hub="http://hub", spaces=entries)


def test_a_few_reviewed_spaces_are_read_alone_with_the_spaces_they_delete() -> None:
    reviewed = plan_of(
        PlanEntry(id="acme/s1", action=Action.UPDATE, rung=Rung.SETTINGS),
        PlanEntry(id="acme/gone", action=Action.DELETE, rung=Rung.DELETE),
    )
    selection, prune = reobservation(reviewed, FLEET, shard="3/3")
    assert prune
    assert selection.targets == ("acme/s1",) and selection.also == ("acme/gone",)
    assert selection.shard is not None and (selection.shard.index, selection.shard.count) == (3, 3)


def test_a_plan_of_most_of_the_fleet_reads_the_fleet() -> None:
    reviewed = plan_of(*(PlanEntry(id=d.id, action=Action.NOOP, rung=Rung.NONE) for d in FLEET))
    selection, prune = reobservation(reviewed, FLEET)
    assert (selection.targets, selection.also, prune) == ((), (), False)


def test_without_a_reviewed_plan_the_flags_decide() -> None:
    selection, prune = reobservation(None, FLEET, targets=("acme/s2",), prune=True)
    assert (selection.targets, selection.also, prune) == (("acme/s2",), (), True)
