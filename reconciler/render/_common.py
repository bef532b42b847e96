"""Helpers every plan view shares: counts read from the plan, value formatting, secret masking.

Everything here only reads the Plan; nothing recomputes a difference.
"""

from __future__ import annotations

import json
import unicodedata
from typing import Any

from reconciler.model import RUNG_ORDER, SENSITIVE, Action, Caveat, Change, Plan, PlanEntry, Rung

SECRETS_PREFIX = "spec.secrets."
# The rungs that change something, in ladder order (the summary line lists these).
CHANGING_RUNGS: tuple[Rung, ...] = tuple(r for r in RUNG_ORDER if r is not Rung.NONE)


CAVEAT_TEXT: dict[Caveat, str] = {
    Caveat.PROTECTED_READS_AS_PRIVATE: (
        "visibility: the Hub shows a protected Space as private, so the plan cannot tell "
        "protected from private here; it compares protected as private"
    ),
}


def entry_warnings(entry: PlanEntry) -> tuple[str, ...]:
    """The entry's warnings, then its caveats in words."""
    return (*entry.warnings, *(CAVEAT_TEXT[caveat] for caveat in entry.caveats))


def is_secret_path(path: str) -> bool:
    return path.startswith(SECRETS_PREFIX)


def masked(change: Change) -> Change:
    """The change as any view may show it: a secret side is "(sensitive)" or absent, never a value.

    The planner already masks secrets; this is the second lock on the same door.
    """
    if not is_secret_path(change.path):
        return change
    before = None if change.before is None else SENSITIVE
    after = None if change.after is None else SENSITIVE
    if before == change.before and after == change.after:
        return change
    return change.model_copy(update={"before": before, "after": after})


def change_kind(change: Change) -> str:
    """'+' added, '-' removed, '~' changed (or both sides unknown)."""
    if change.before is None and change.after is not None:
        return "+"
    if change.before is not None and change.after is None:
        return "-"
    return "~"


def rung_counts(plan: Plan) -> dict[str, int]:
    """Spaces per rung, every rung present, in ladder order.

    The plan's own summary is authoritative; a rung it lacks is counted from the entries.
    Keys the ladder does not know (a newer planner) follow, sorted.
    """
    counts: dict[str, int] = {}
    for rung in RUNG_ORDER:
        if rung.value in plan.summary:
            counts[rung.value] = plan.summary[rung.value]
        else:
            counts[rung.value] = sum(1 for entry in plan.spaces if entry.rung is rung)
    for key in sorted(set(plan.summary) - set(counts)):
        counts[key] = plan.summary[key]
    return counts


def action_counts(plan: Plan) -> dict[Action, int]:
    counts = dict.fromkeys(Action, 0)
    for entry in plan.spaces:
        counts[entry.action] += 1
    return counts


def total_restarts(plan: Plan) -> int:
    return sum(entry.restarts for entry in plan.spaces)


def is_changed(entry: PlanEntry) -> bool:
    return entry.rung is not Rung.NONE or entry.action is not Action.NOOP


def shown_entries(plan: Plan, show_unchanged: bool = False) -> tuple[PlanEntry, ...]:
    """Entries a view shows as a block: changed ones, and unchanged ones that carry warnings."""
    return tuple(e for e in plan.spaces if show_unchanged or is_changed(e) or entry_warnings(e))


def cost_changed(entry: PlanEntry) -> bool:
    return entry.cost.before_usd_per_hour != entry.cost.after_usd_per_hour


def format_money(amount: float, signed: bool = False) -> str:
    """$1,234.50; with signed=True a non-zero amount carries + or -."""
    rounded = round(amount, 2)
    text = f"${abs(rounded):,.2f}"
    if rounded < 0:
        return "-" + text
    if signed and rounded > 0:
        return "+" + text
    return text


def format_rate(amount: float) -> str:
    return f"{format_money(amount)}/h"


def format_size(size: int) -> str:
    if size < 1024:
        return f"{size} B"
    value = float(size)
    for unit in ("KiB", "MiB", "GiB", "TiB"):
        value /= 1024
        if value < 1024 or unit == "TiB":
            break
    return f"{value:.1f} {unit}"


def format_value(value: Any) -> str:
    """One field value on one line: strings quoted, "(sensitive)" as is, the rest as JSON."""
    if value == SENSITIVE:
        return SENSITIVE
    return visible(json.dumps(value, ensure_ascii=False, default=str))


def plural(count: int, word: str, many: str | None = None) -> str:
    return f"{count} {word if count == 1 else (many or word + 's')}"


def visible(text: str) -> str:
    """The text with control characters (newlines, ANSI escapes) shown as escapes, on one line."""
    if not any(_is_control(ch) for ch in text):
        return text
    return "".join(_escape_control(ch) if _is_control(ch) else ch for ch in text)


# Bidirectional overrides and isolates: they can make a line read differently than it is.
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def _is_control(ch: str) -> bool:
    return unicodedata.category(ch) in ("Cc", "Zl", "Zp") or ch in _BIDI_CONTROLS


def _escape_control(ch: str) -> str:
    named = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
    if ch in named:
        return named[ch]
    code = ord(ch)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"
