"""Drift classification of Spaces outside the manifests (pure, no Hub)."""

from __future__ import annotations

from reconciler.drift import DriftStatus, classify
from reconciler.model import OWNERSHIP_TAG, PREVIEW_TAG, Plan
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
