from __future__ import annotations

import json

import pytest
from hypothesis import given, settings

from reconciler.errors import UserError
from reconciler.model import SENSITIVE, Action, Change, FileChanges, FileEntry, Plan, PlanEntry, Rung
from reconciler.plan_file import plan_from_json
from reconciler.render import plan_to_json
from tests.render.strategies import plans


def entry(space_id: str, **fields: object) -> PlanEntry:
    defaults: dict[str, object] = {"action": Action.UPDATE, "rung": Rung.SETTINGS}
    defaults.update(fields)
    return PlanEntry.model_validate({"id": space_id, **defaults})


def plan_of(*entries: PlanEntry) -> Plan:
    return Plan(created_at="2026-11-22T10:00:00Z", hub="https://huggingface.co", spaces=entries)


@given(plans())
@settings(max_examples=120, deadline=None)
def test_round_trip_is_exact(plan: Plan) -> None:
    text = plan_to_json(plan)
    assert plan_from_json(text) == plan
    assert plan_to_json(plan_from_json(text)) == text


def test_keys_and_their_order_follow_the_plan_format() -> None:
    plan = plan_of(
        entry(
            "acme/demo",
            changes=(Change(path="spec.hardware", before="cpu-basic", after="t4-small"),),
            files=FileChanges(added=(FileEntry(path="a.py", size=3, oid="ab" * 20), FileEntry(path="b", size=1))),
        )
    )
    data = json.loads(plan_to_json(plan))
    assert list(data) == [
        "format_version", "created_at", "hub", "spaces", "summary", "monthly_cost_delta_usd", "notes",
    ]  # fmt: skip
    space = data["spaces"][0]
    assert list(space) == [
        "id", "action", "rung", "reasons", "reason_codes", "restarts", "changes", "files", "cost", "observed",
        "manifest", "warnings", "steps",
    ]  # fmt: skip
    assert space["changes"] == [{"path": "spec.hardware", "before": "cpu-basic", "after": "t4-small"}]
    assert space["files"] == {
        "added": [{"path": "a.py", "size": 3, "oid": "ab" * 20}, {"path": "b", "size": 1}],
        "modified": [],
        "deleted": [],
    }
    assert list(space["cost"]) == ["before_usd_per_hour", "after_usd_per_hour"]
    assert list(space["observed"]) == ["sha", "settings_digest"]


def test_note_is_written_only_when_set() -> None:
    plan = plan_of(entry("acme/demo", changes=(Change(path="spec.secrets.K", after=SENSITIVE, note="added"),)))
    change = json.loads(plan_to_json(plan))["spaces"][0]["changes"][0]
    assert change == {"path": "spec.secrets.K", "before": None, "after": SENSITIVE, "note": "added"}


def test_entries_sorted_by_id_and_summary_lists_every_rung() -> None:
    plan = plan_of(entry("acme/zeta"), entry("acme/alpha", rung=Rung.HOT_RELOAD))
    data = json.loads(plan_to_json(plan))
    assert [s["id"] for s in data["spaces"]] == ["acme/alpha", "acme/zeta"]
    assert data["summary"] == {
        "none": 0, "settings": 1, "hot-reload": 1, "upload": 0, "rebuild": 0, "create": 0, "delete": 0,
    }  # fmt: skip


def test_layout_is_indented_and_ends_with_a_newline() -> None:
    text = plan_to_json(plan_of())
    assert text.startswith('{\n  "format_version": 1,\n')
    assert text.endswith("}\n") and not text.endswith("\n\n")


def test_a_secret_value_in_a_plan_is_masked_anyway() -> None:
    leaky = Change(path="spec.secrets.TOKEN", before="hunter2-old", after="hunter2-new", note="changed")
    text = plan_to_json(plan_of(entry("acme/demo", changes=(leaky,))))
    assert "hunter2" not in text
    change = plan_from_json(text).spaces[0].changes[0]
    assert (change.before, change.after) == (SENSITIVE, SENSITIVE)


VALID = plan_to_json(plan_of(entry("acme/demo")))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{", "plan.json is not valid JSON"),
        (b"\xff\xfe", "plan.json is not valid JSON"),
        ("[]", "expected a JSON object, found list"),
        ('{"spaces": []}', "it has no format_version"),
        (VALID.replace('"format_version": 1', '"format_version": 2'), "format_version 2; this version"),
        (VALID.replace('"format_version": 1', '"format_version": "1"'), "format_version '1'"),
        (VALID.replace('"format_version": 1', '"format_version": true'), "format_version True"),
        (VALID.replace('"rung": "settings"', '"rung": "reboot"'), "spaces[0].rung: Input should be"),
        (VALID.replace('"restarts": 0', '"restarts": "0"'), "spaces[0].restarts: Input should be a valid integer"),
        (VALID.replace('"hub"', '"hubb"'), "hub: Field required"),
        (VALID.replace('"reasons": []', '"reasons": [], "extra": 1'), "spaces[0].extra: Extra inputs"),
    ],
)
def test_malformed_plans_are_user_errors(text: str | bytes, message: str) -> None:
    with pytest.raises(UserError) as raised:
        plan_from_json(text, source="plan.json")
    assert message in str(raised.value)
