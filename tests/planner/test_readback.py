"""Settings the Hub reads back differently from how they were written converge (pure, no Hub).

hub-contract §13: a protected Space reads as private (visibility is no SpaceInfo field), and a
repository mount reads back read-only (the client forces readOnly for repos).
"""

from __future__ import annotations

import pytest

from reconciler.model import RUNG_ORDER, Caveat, Plan, Rung, Volume
from reconciler.plan_file import plan_from_json
from reconciler.planner import Pair, plan_pair
from reconciler.render.plan_json import plan_to_json
from reconciler.render.plan_text import render_plan_text
from tests.builders import desired, observed_like


def _plan(want, have):  # type: ignore[no-untyped-def]
    return plan_pair(Pair(want.id, want, have, {}), {}, has_key=False)


@pytest.mark.parametrize("kind", ["model", "dataset", "space"])
def test_repo_mount_written_without_read_only_reads_back_read_only(kind: str) -> None:
    written = Volume(type=kind, source="acme/weights", mount_path="/m")
    read_back = written.model_copy(update={"read_only": True})
    want = desired(volumes=(written,))
    entry = _plan(want, observed_like(want, volumes=(read_back,)))
    assert (entry.rung, entry.changes) == (Rung.NONE, ())


def test_bucket_mount_read_only_still_differs() -> None:
    want = desired(volumes=(Volume(type="bucket", source="acme/b", mount_path="/d", read_only=True),))
    have = observed_like(want, volumes=(Volume(type="bucket", source="acme/b", mount_path="/d", read_only=False),))
    assert [c.path for c in _plan(want, have).changes] == ["spec.volumes./d"]


def test_protected_read_back_as_private_is_no_change_with_a_caveat() -> None:
    want = desired(visibility="protected")
    entry = _plan(want, observed_like(want, visibility="private", visibility_exact=False))
    assert (entry.rung, entry.changes) == (Rung.NONE, ())
    assert entry.caveats == (Caveat.PROTECTED_READS_AS_PRIVATE,)


def test_protected_over_public_is_a_change() -> None:
    want = desired(visibility="protected")
    entry = _plan(want, observed_like(want, visibility="public", visibility_exact=True))
    assert [(c.path, c.before, c.after) for c in entry.changes] == [("spec.visibility", "public", "protected")]


def test_protected_reported_exactly_compares_exactly() -> None:
    want = desired(visibility="protected")
    entry = _plan(want, observed_like(want, visibility="private", visibility_exact=True))
    assert [(c.before, c.after) for c in entry.changes] == [("private", "protected")]
    assert entry.caveats == ()


def test_private_desired_has_no_caveat() -> None:
    want = desired(visibility="private")
    entry = _plan(want, observed_like(want, visibility="private", visibility_exact=False))
    assert (entry.rung, entry.caveats) == (Rung.NONE, ())


def test_caveat_is_worded_by_renderers_and_round_trips() -> None:
    want = desired(visibility="protected")
    entry = _plan(want, observed_like(want, visibility="private", visibility_exact=False))
    summary = {rung.value: int(rung is Rung.NONE) for rung in RUNG_ORDER}
    plan = Plan(created_at="2026-12-01T10:00:00Z", hub="http://127.0.0.1:1", spaces=(entry,), summary=summary)
    assert "cannot tell protected from private" in render_plan_text(plan, color=False)
    text = plan_to_json(plan)
    assert '"caveats": [\n        "protected-reads-as-private"' in text
    assert plan_from_json(text) == plan
