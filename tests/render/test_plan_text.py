from __future__ import annotations

import click
import pytest
from hypothesis import given, settings

from reconciler.model import Action, Change, Cost, FileChanges, FileEntry, Plan, PlanEntry, Reason, ReasonCode, Rung
from reconciler.render import color_enabled, render_plan_text
from reconciler.render.plan_text import NO_CHANGES
from tests.render.strategies import plans


def plan_of(*entries: PlanEntry, delta: float = 0.0) -> Plan:
    return Plan(
        created_at="2026-11-22T10:00:00Z",
        hub="https://huggingface.co",
        spaces=entries,
        monthly_cost_delta_usd=delta,
    )


UNCHANGED = PlanEntry(id="acme/same", action=Action.NOOP, rung=Rung.NONE)
CHANGED = PlanEntry(
    id="acme/demo",
    action=Action.UPDATE,
    rung=Rung.SETTINGS,
    restarts=1,
    reasons=(Reason(code=ReasonCode.TEXT, detail="hardware changed -> settings"),),
    changes=(Change(path="spec.hardware", before="cpu-basic", after="t4-small"),),
    cost=Cost(before_usd_per_hour=0.0, after_usd_per_hour=0.4),
)


@given(plans())
@settings(max_examples=100, deadline=None)
def test_colour_only_adds_styles(plan: Plan) -> None:
    plain = render_plan_text(plan, color=False)
    assert "\x1b" not in plain
    assert click.unstyle(render_plan_text(plan, color=True)) == plain


def test_colour_marks_the_change_kind() -> None:
    coloured = render_plan_text(plan_of(CHANGED), color=True)
    assert click.style("~", fg="yellow") in coloured


def test_unchanged_spaces_are_only_counted() -> None:
    text = render_plan_text(plan_of(CHANGED, UNCHANGED), color=False)
    assert "acme/same" not in text
    assert "1 unchanged" in text
    assert "acme/same" in render_plan_text(plan_of(CHANGED, UNCHANGED), color=False, show_unchanged=True)


def test_an_unchanged_space_with_a_warning_is_shown() -> None:
    warned = UNCHANGED.model_copy(update={"warnings": ("secret K: value unknown here",)})
    text = render_plan_text(plan_of(warned), color=False)
    assert "acme/same" in text and "! warning: secret K: value unknown here" in text
    assert text.endswith(NO_CHANGES + "\n")


def test_no_changes() -> None:
    assert render_plan_text(plan_of(UNCHANGED), color=False) == NO_CHANGES + "\n"


def test_block_and_summary_line() -> None:
    text = render_plan_text(plan_of(CHANGED, UNCHANGED, delta=292.0), color=False)
    assert text.splitlines()[0] == "~ acme/demo  (update, rung: settings, restarts: 1)"
    assert '    ~ spec.hardware = "cpu-basic" -> "t4-small"' in text
    assert "    cost: $0.00/h -> $0.40/h" in text
    assert text.splitlines()[-1] == (
        "Plan: 0 to create, 1 to update, 0 to delete, 1 unchanged. Rungs: settings 1, hot-reload 0, "
        "upload 0, rebuild 0, create 0, delete 0. Restarts: 1. Monthly cost delta: +$292.00."
    )


@pytest.mark.parametrize(("delta", "shown"), [(0.0, "$0.00"), (-1234.5, "-$1,234.50"), (0.004, "$0.00")])
def test_monthly_cost_delta_format(delta: float, shown: str) -> None:
    text = render_plan_text(plan_of(CHANGED, delta=delta), color=False)
    assert text.endswith(f"Monthly cost delta: {shown}.\n")


def test_cost_line_only_when_the_cost_changes() -> None:
    same = CHANGED.model_copy(update={"cost": Cost(before_usd_per_hour=0.4, after_usd_per_hour=0.4)})
    assert "cost:" not in render_plan_text(plan_of(same), color=False)


def test_control_characters_cannot_reach_the_terminal() -> None:
    sneaky = CHANGED.model_copy(
        update={
            "reasons": (Reason(code=ReasonCode.TEXT, detail="line one\nline two\x1b[2J"),),
            "files": FileChanges(added=(FileEntry(path="a\x1b]8;;http://x\x07.py", size=1),)),
            "warnings": ("\u202eevil",),
        }
    )
    text = render_plan_text(plan_of(sneaky), color=False)
    assert "\x1b" not in text and "\x07" not in text and "\u202e" not in text
    assert "# line one\\nline two\\x1b[2J" in text
    assert "a\\x1b]8;;http://x\\x07.py" in text


@pytest.mark.parametrize(
    ("tty", "env", "expected"),
    [
        (True, {}, True),
        (False, {}, False),
        (True, {"NO_COLOR": "1"}, False),
        (True, {"NO_COLOR": ""}, True),
        (True, {"CI": "true"}, False),
        (True, {"CI": "false"}, True),
    ],
)
def test_color_enabled(tty: bool, env: dict[str, str], expected: bool) -> None:
    assert color_enabled(tty, env) is expected
