"""A secret's value can never reach any rendering, even if a plan were built wrongly."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from reconciler.model import SENSITIVE, Action, Change, Plan, PlanEntry, Rung
from reconciler.render import plan_to_json, render_plan_markdown, render_plan_text
from tests.conftest import CANARY


def render_all(plan: Plan) -> list[str]:
    return [
        render_plan_text(plan, color=False),
        render_plan_text(plan, color=True),
        render_plan_markdown(plan),
        render_plan_markdown(plan, max_chars=600),
        plan_to_json(plan),
    ]


def plan_with(*changes: Change) -> Plan:
    entry = PlanEntry(id="acme/demo", action=Action.UPDATE, rung=Rung.SETTINGS, changes=changes)
    return Plan(created_at="2026-11-22T10:00:00Z", hub="https://huggingface.co", spaces=(entry,))


values = st.one_of(
    st.builds(lambda tail: f"leak-{tail}", st.text(max_size=20)),
    st.builds(lambda n: {"nested": f"leak-{n}"}, st.integers()),
    st.builds(lambda n: [f"leak-{n}"], st.integers()),
)


@given(
    name=st.from_regex(r"[A-Z][A-Z0-9_]{0,12}", fullmatch=True),
    before=st.none() | values,
    after=st.none() | values,
)
@settings(max_examples=100, deadline=None)
def test_secret_changes_always_render_sensitive(name: str, before: object, after: object) -> None:
    plan = plan_with(Change(path=f"spec.secrets.{name}", before=before, after=after, note="changed"))
    for output in render_all(plan):
        assert "leak-" not in output
        if before is not None or after is not None:
            assert SENSITIVE in output


def test_the_canary_secret_never_appears() -> None:
    plan = plan_with(
        Change(path="spec.secrets.OPENAI_API_KEY", before=CANARY, after=CANARY + "-new"),
        Change(path="spec.secrets.HF_TOKEN", before=None, after=CANARY),
    )
    for output in render_all(plan):
        assert CANARY not in output
        assert output.count(SENSITIVE) >= 3 or "truncated" in output
