"""Drift classification of Spaces outside the manifests (pure, no Hub)."""

from __future__ import annotations

from reconciler.drift import DriftEntry, DriftStatus, classify
from reconciler.model import (
    OWNERSHIP_TAG,
    PREVIEW_TAG,
    DesiredSpace,
    ObservedSpace,
    ObservedVariable,
    Plan,
    VerifySpec,
)
from reconciler.planner import build_plan, pair_up
from tests.builders import desired, observed_like

EMPTY = Plan(created_at="2026-11-22T00:00:00Z", hub="http://hub")


def unmanaged_message(tags: list[str]) -> str:
    live = observed_like(desired("acme/x"), card={"sdk": "gradio", "tags": tags})
    (entry,) = classify(EMPTY, [], {}, [live], lambda _: []).spaces
    assert entry.status is DriftStatus.UNMANAGED
    return entry.detail.message


def test_unmanaged_spaces_say_whether_they_carry_the_marker_or_are_previews() -> None:
    assert unmanaged_message([]) == "on the Hub, in no manifest"
    assert unmanaged_message([OWNERSHIP_TAG]).endswith("(carries the spaces-reconciler marker)")
    assert unmanaged_message([OWNERSHIP_TAG, PREVIEW_TAG]).startswith("a pull-request preview")


def drift_of(space: DesiredSpace, live: ObservedSpace) -> DriftEntry:
    pairs = pair_up([space], {space.id: live}, {})
    plan = build_plan(pairs, hub="http://hub", created_at="2026-11-22T00:00:00Z", costs={}, has_key=False)
    (entry,) = classify(plan, [space], {space.id: live}, [], lambda _: []).spaces
    return entry


def test_a_variable_deleted_by_hand_is_attributed_apart_from_added_or_changed_ones() -> None:
    space = desired(variables={"MODE": "fast", "LEVEL": "3", "KEEP": "1"})
    live = observed_like(
        space,
        variables={
            "LEVEL": ObservedVariable(value="9", updated_at="2026-11-21T10:00:00Z"),
            "KEEP": ObservedVariable(value="1"),
            "DEBUG": ObservedVariable(value="1", updated_at="2026-11-21T10:00:00Z"),
        },
    )
    entry = drift_of(space, live)
    assert entry.status is DriftStatus.DRIFTED
    assert entry.detail.variables_updated_outside == ("DEBUG", "LEVEL")
    assert entry.detail.variables_deleted_outside == ("MODE",)


def test_an_ignored_variable_deleted_by_hand_is_not_reported() -> None:
    space = desired(variables={"MODE": "fast"}, lifecycle={"ignore_changes": ("spec.variables.MODE",)})
    entry = drift_of(space, observed_like(space, variables={}))
    assert entry.detail.variables_deleted_outside == ()


def test_a_declared_endpoint_the_running_space_no_longer_has_is_drift() -> None:
    space = desired(verify=VerifySpec(endpoints=("/echo", "/health")))
    live = observed_like(space)
    pairs = pair_up([space], {space.id: live}, {})
    plan = build_plan(pairs, hub="http://hub", created_at="2026-11-22T00:00:00Z", costs={}, has_key=False)

    def drift(endpoints: dict[str, tuple[str, ...]]) -> DriftEntry:
        (entry,) = classify(plan, [space], {space.id: live}, [], lambda _: [], endpoints).spaces
        return entry

    renamed = drift({space.id: ("/repeat", "/health")})
    assert renamed.status is DriftStatus.DRIFTED
    assert renamed.detail.endpoints_missing == ("/echo",)
    assert renamed.detail.endpoints_available == ("/health", "/repeat")
    assert drift({space.id: ("/health", "/echo")}).status is DriftStatus.IN_SYNC
    assert drift({}).status is DriftStatus.IN_SYNC  # an API that could not be read says nothing
