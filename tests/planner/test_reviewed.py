"""What apply applies (reconciler/reviewed.py): which Spaces apply --plan observes again, whether
it prunes, and the checks before any write, against a local Hub through the real client."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from huggingface_hub import HfApi

from reconciler.errors import UserError
from reconciler.hub.client import HubClient
from reconciler.localhub import LocalHub
from reconciler.model import OWNERSHIP_TAG, Action, Plan, PlanEntry, Rung
from reconciler.pipeline import Selection, Shard, make_plan
from reconciler.plan_file import plan_from_json
from reconciler.render.plan_json import plan_to_json
from reconciler.reviewed import ApplyRequest, approved_plan, reobservation
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


# Shard 3/3 owns s0, s1 and the orphan; the others are another shard's. Few reviewed Spaces
# against a larger fleet: apply reads them alone (the narrowing bug 2 of the decisions issue hit).
SHARDED = [desired(f"local-org/s{i}") for i in (0, 1, 2, 5, 7, 9, 10)]
SHARDED_OWNED = ["local-org/s0", "local-org/s1"]
ORPHAN = "local-org/orphan-3"


@pytest.fixture
def hub_client(tmp_path: Path) -> Iterator[tuple[LocalHub, HubClient]]:
    with LocalHub(tmp_path / "hub") as hub, HubClient(hub.endpoint, hub.token) as client:
        yield hub, client


def _never(plan: Plan) -> bool:
    raise AssertionError("a reviewed plan is not asked for approval again")


def test_a_reviewed_shard_with_prune_is_applied_as_reviewed(hub_client: tuple[LocalHub, HubClient]) -> None:
    hub, client = hub_client
    assert Shard(3, 3).owns(ORPHAN) and [d.id for d in SHARDED if Shard(3, 3).owns(d.id)] == SHARDED_OWNED
    api = HfApi(endpoint=hub.endpoint, token=hub.token)
    api.create_repo(ORPHAN, repo_type="space", space_sdk="static")
    card = f"---\nsdk: static\ntags: [{OWNERSHIP_TAG}]\n---\n"
    api.upload_file(path_or_fileobj=card.encode(), path_in_repo="README.md", repo_id=ORPHAN, repo_type="space")
    # `plan --prune --shard 3/3 --out plan.json`
    planned, _ = make_plan(client, SHARDED, selection=Selection(shard=Shard.parse("3/3")), prune=True)
    reviewed = plan_from_json(plan_to_json(planned), source="plan.json")
    # `apply --plan plan.json --shard 3/3`: no --prune, the plan's deletion asks for it
    approved = approved_plan(client, SHARDED, ApplyRequest(reviewed=reviewed, shard="3/3"), approve=_never)
    assert approved is not None and approved.plan == reviewed
    assert {e.id: e.rung for e in approved.todo} == {
        "local-org/s0": Rung.CREATE,
        "local-org/s1": Rung.CREATE,
        ORPHAN: Rung.DELETE,
    }
    assert ORPHAN in approved.observed and set(approved.desired) == {d.id for d in SHARDED}


def test_a_fresh_plan_declined_returns_nothing_to_apply(hub_client: tuple[LocalHub, HubClient]) -> None:
    _, client = hub_client
    shown: list[Plan] = []

    def decline(plan: Plan) -> bool:
        shown.append(plan)
        return False

    assert approved_plan(client, SHARDED[:1], ApplyRequest(), approve=decline) is None
    assert [[e.rung for e in plan.spaces] for plan in shown] == [[Rung.CREATE]]


def test_a_reviewed_plan_the_hub_moved_past_is_stale(hub_client: tuple[LocalHub, HubClient]) -> None:
    hub, client = hub_client
    planned, _ = make_plan(client, SHARDED[:1])
    HfApi(endpoint=hub.endpoint, token=hub.token).create_repo("local-org/s0", repo_type="space", space_sdk="gradio")
    with pytest.raises(UserError, match="stale"):
        approved_plan(client, SHARDED[:1], ApplyRequest(reviewed=planned), approve=_never)


def test_no_write_access_is_refused_before_any_write(hub_client: tuple[LocalHub, HubClient]) -> None:
    _, client = hub_client
    elsewhere = [desired("someone-else/demo")]
    with pytest.raises(UserError, match="before any write"):
        approved_plan(client, elsewhere, ApplyRequest(), approve=lambda plan: True)
