"""The plan for a terminal, Terraform-like: one block per changed Space and a summary line."""

from __future__ import annotations

from collections.abc import Callable

import click

from reconciler.model import Action, Change, FileEntry, Plan, PlanEntry
from reconciler.render._common import (
    CHANGING_RUNGS,
    action_counts,
    change_kind,
    cost_changed,
    entry_warnings,
    format_money,
    format_rate,
    format_size,
    format_value,
    masked,
    rung_counts,
    shown_entries,
    total_restarts,
    visible,
)
from reconciler.render.policy_text import plan_policy_lines
from reconciler.render.words import STARTER_NOTE, orphans_text, reasons_text, step_text

NO_CHANGES = "No changes. The Hub matches the manifests."
_ACTION_SYMBOL = {Action.CREATE: "+", Action.UPDATE: "~", Action.DELETE: "-", Action.NOOP: "="}
_COLOR = {"+": "green", "~": "yellow", "-": "red", "=": None, "!": "yellow"}

Style = Callable[[str, str], str]


def render_plan_text(plan: Plan, color: bool, *, show_unchanged: bool = False) -> str:
    """The plan as terminal text. ANSI colour only with color=True (the CLI decides).

    Unchanged Spaces are only counted, unless they carry warnings or show_unchanged is set.
    """
    paint = _painter(color)
    blocks = ["\n".join(_entry_lines(entry, paint)) for entry in shown_entries(plan, show_unchanged)]
    tail = [f"Note: {visible(note)}" for note in plan.notes]
    if plan.orphans:
        tail.append(f"Note: {visible(orphans_text(plan.orphans))}")
    if policy := plan_policy_lines(plan):
        blocks.append("\n".join(visible(line) for line in policy))
    if plan.has_changes:
        tail.append(_summary_line(plan))
    else:
        tail.append(paint(NO_CHANGES, "bold"))
    return "\n\n".join([*blocks, "\n".join(tail)]) + "\n"


def _painter(color: bool) -> Style:
    def paint(text: str, style: str) -> str:
        if not color:
            return text
        if style == "bold":
            return click.style(text, bold=True)
        if style == "dim":
            return click.style(text, dim=True)
        fg = _COLOR.get(style)
        return click.style(text, fg=fg) if fg else text

    return paint


def _entry_lines(entry: PlanEntry, paint: Style) -> list[str]:
    symbol = _ACTION_SYMBOL[entry.action]
    head = (
        f"{paint(symbol, symbol)} {paint(visible(entry.id), 'bold')}  "
        f"({entry.action.value}, rung: {entry.rung.value}, restarts: {entry.restarts})"
    )
    lines = [head]
    lines += [paint(f"    # {visible(reason)}", "dim") for reason in reasons_text(entry.reasons, entry.files)]
    lines += [_change_line(change, paint) for change in entry.changes]
    lines += _file_lines(entry, paint)
    if entry.steps:
        lines.append("    steps:")
        lines += [f"      {n}. {visible(step_text(step))}" for n, step in enumerate(entry.steps, start=1)]
    if cost_changed(entry):
        lines.append(
            f"    cost: {format_rate(entry.cost.before_usd_per_hour)} -> {format_rate(entry.cost.after_usd_per_hour)}"
        )
    lines += [paint(f"    ! warning: {visible(warning)}", "!") for warning in entry_warnings(entry)]
    return lines


def _change_line(change: Change, paint: Style) -> str:
    change = masked(change)
    kind = change_kind(change)
    path = visible(change.path)
    if kind == "+":
        text = f"{path} = {format_value(change.after)}"
    elif kind == "-":
        text = f"{path} = {format_value(change.before)}"
    elif change.before is None:
        text = path
    else:
        text = f"{path} = {format_value(change.before)} -> {format_value(change.after)}"
    note = f"  # {visible(change.note)}" if change.note else ""
    return f"    {paint(kind, kind)} {text}{note}"


def _file_lines(entry: PlanEntry, paint: Style) -> list[str]:
    files = entry.files
    if not files:
        return []
    counts = f"{len(files.added)} added, {len(files.modified)} modified, {files.deletions} deleted"
    lines = [f"    files: {counts}"]
    groups: tuple[tuple[str, tuple[FileEntry, ...]], ...] = (
        ("+", files.added),
        ("~", files.modified),
        ("-", files.deleted),
    )
    for kind, group in groups:
        lines += [f"      {paint(kind, kind)} {visible(f.path)}  ({format_size(f.size)})" for f in group]
    lines += [f"      {paint('-', '-')} {visible(path)}  ({STARTER_NOTE})" for path in files.starter]
    return lines


def _summary_line(plan: Plan) -> str:
    actions = action_counts(plan)
    counts = rung_counts(plan)
    rungs = ", ".join(f"{rung.value} {counts[rung.value]}" for rung in CHANGING_RUNGS)
    return (
        f"Plan: {actions[Action.CREATE]} to create, {actions[Action.UPDATE]} to update, "
        f"{actions[Action.DELETE]} to delete, {actions[Action.NOOP]} unchanged. "
        f"Rungs: {rungs}. Restarts: {total_restarts(plan)}. "
        f"Monthly cost delta: {format_money(plan.monthly_cost_delta_usd, signed=True)}."
    )
