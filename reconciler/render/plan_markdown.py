"""The plan as a pull-request comment: a summary table and one collapsible section per Space.

GitHub rejects comments over 65,536 characters. When the full comment is longer, the longest
sections are cut first (whole lines, never inside a line) until everything fits, and the
comment says so. Every user-controlled string goes through reconciler.render._markdown, so a
file name or a value cannot break a table, inject HTML, mention anyone or link anywhere.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Callable
from functools import cache
from itertools import accumulate
from pathlib import Path
from typing import Any

import jinja2

from reconciler.model import Action, Plan, PlanEntry
from reconciler.render._common import (
    action_counts,
    change_kind,
    cost_changed,
    entry_warnings,
    format_money,
    format_rate,
    format_size,
    format_value,
    masked,
    plural,
    rung_counts,
    shown_entries,
    total_restarts,
)
from reconciler.render._markdown import html_text, md_code, md_text
from reconciler.render.policy_text import finding_text, plan_findings, verdict
from reconciler.render.words import STARTER_NOTE, orphans_text, reasons_text, step_text

GITHUB_COMMENT_LIMIT = 65536
DEFAULT_TITLE = "Spaces plan"
# A single value longer than this is shortened in the comment (the JSON artifact has it all).
MAX_VALUE_CHARS = 200
_DELIMITER = re.compile(r"^\|(?::?-+:?\|)+$")
_TEMPLATES = Path(__file__).parent / "templates"
_SYMBOL = {Action.CREATE: "+", Action.UPDATE: "~", Action.DELETE: "-", Action.NOOP: "="}


def md_value(value: Any) -> str:
    if value is None:
        return ""
    text = format_value(value)
    if len(text) > MAX_VALUE_CHARS:
        text = text[: MAX_VALUE_CHARS - 1] + "…"
    return md_code(text)


@cache
def _template() -> jinja2.Template:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(_TEMPLATES),
        autoescape=False,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
    )
    env.filters.update(md=md_text, code=md_code, html=html_text, value=md_value)
    env.globals.update(
        symbol=lambda entry: _SYMBOL[entry.action],
        plural=plural,
        cost_changed=cost_changed,
        rate=format_rate,
        money=format_money,
        size=format_size,
        masked=masked,
        kind=change_kind,
        policy=plan_findings,
        finding_text=finding_text,
        orphans_text=orphans_text,
        policy_verdict=lambda plan: verdict([f for _, f in plan_findings(plan)]),
        warnings=entry_warnings,
        reasons=lambda entry: reasons_text(entry.reasons, entry.files),
        step_text=step_text,
        starter_note=STARTER_NOTE,
    )
    return env.get_template("plan.md.j2")


def _macro(name: str, *args: Any, **kwargs: Any) -> str:
    return str(getattr(_template().module, name)(*args, **kwargs))


class _Section:
    """One Space's section, rendered once; shorter versions are measured by arithmetic only."""

    def __init__(self, entry: PlanEntry) -> None:
        self.summary = _macro("summary_line", entry)
        self.collapsed = _macro("collapsed", entry)
        self.lines = _macro("body", entry).strip("\n").split("\n")
        # The fixed part around the body, and the length of the first k lines joined, k = 0..n.
        self.wrapper_len = len(_macro("details", self.summary, ""))
        # Where the body may be cut (before line k): never inside a table's head.
        self.cuts = [k for k in range(len(self.lines) + 1) if k in (0, len(self.lines)) or self._may_cut(k)]
        self.prefix = [0, *(total + k for k, total in enumerate(accumulate(len(line) for line in self.lines)))]

    def _may_cut(self, k: int) -> bool:
        return not _DELIMITER.match(self.lines[k]) and not (k > 0 and _DELIMITER.match(self.lines[k - 1]))

    def length(self, kept: int) -> int:
        """Length with only the first `kept` body lines and a marker; 0 lines: the one-line form."""
        if kept >= len(self.lines):
            return self.wrapper_len + self.prefix[-1]
        if kept == 0:
            return len(self.collapsed)
        return self.wrapper_len + self.prefix[kept] + 2 + _marker_len(len(self.lines) - kept)

    def fit(self, cap: int) -> int:
        """The most body lines that fit in `cap` characters (0 when even the shortest form does not)."""
        full = self.length(len(self.lines))
        if full <= cap or full <= self.length(0):
            return len(self.lines)
        low, high = 0, len(self.cuts) - 2  # length grows along cuts; the last cut is the full text
        while low < high:
            middle = (low + high + 1) // 2
            if self.length(self.cuts[middle]) <= cap:
                low = middle
            else:
                high = middle - 1
        return self.cuts[low]

    def next_cut(self, kept: int) -> int:
        return self.cuts[bisect_right(self.cuts, kept)]

    def text(self, kept: int) -> str:
        if kept >= len(self.lines):
            return _macro("details", self.summary, "\n".join(self.lines))
        if kept == 0:
            return self.collapsed
        marker = _macro("truncation_marker", len(self.lines) - kept)
        return _macro("details", self.summary, "\n".join([*self.lines[:kept], "", marker]))


@cache
def _marker_len(hidden: int) -> int:
    return len(_macro("truncation_marker", hidden))


def render_plan_markdown(
    plan: Plan,
    max_chars: int = GITHUB_COMMENT_LIMIT,
    title: str | None = None,
    extra_header: str | None = None,
) -> str:
    """The plan as a GitHub comment of at most `max_chars` characters.

    `title` is plain text (escaped); `extra_header` is markdown the caller vouches for
    (a hidden comment marker, a link to the run) and is inserted as is.
    """
    sections = [_Section(entry) for entry in shown_entries(plan)]
    counts = rung_counts(plan)
    actions = {action.value: count for action, count in action_counts(plan).items()}
    restarts = total_restarts(plan)

    def document(texts: list[str], note: str | None) -> str:
        return _macro("document", plan, title or DEFAULT_TITLE, extra_header, counts, actions, restarts, texts, note)

    full = document([s.text(len(s.lines)) for s in sections], None)
    if len(full) <= max_chars:
        return full
    return _fitted(sections, document, max_chars)


def _fitted(sections: list[_Section], document: Callable[[list[str], str | None], str], max_chars: int) -> str:
    reserve = _note(len(sections), len(sections))
    overhead = len(document([], reserve))
    separator = len(document(["x"], reserve)) - overhead - 1
    budget = max_chars - overhead
    for _ in range(3):
        texts, truncated, omitted = _shorten(sections, budget, separator)
        result = document(texts, _note(truncated, omitted))
        if len(result) <= max_chars:
            return result
        budget -= len(result) - max_chars  # a miscount: tighten and measure again
    return _hard_cut(result, max_chars)


def _shorten(sections: list[_Section], budget: int, separator: int) -> tuple[list[str], int, int]:
    """Section texts within `budget`: cut the longest ones first, drop trailing ones if need be."""

    def total(cap: int) -> int:
        return sum(s.length(s.fit(cap)) + separator for s in sections)

    if total(0) <= budget:
        low, high = 0, max(s.length(len(s.lines)) for s in sections)
        while low < high:  # the largest cap whose total fits; total() grows with cap
            middle = (low + high + 1) // 2
            if total(middle) <= budget:
                low = middle
            else:
                high = middle - 1
        kept = _spend_leftover(sections, [s.fit(low) for s in sections], budget - total(low))
        cut = sum(1 for s, k in zip(sections, kept, strict=True) if k < len(s.lines))
        return [s.text(k) for s, k in zip(sections, kept, strict=True)], cut, 0
    minimal: list[str] = []
    used = 0
    for section in sections:
        used += section.length(0) + separator
        if used > budget:
            break
        minimal.append(section.text(0))
    return minimal, len(minimal), len(sections) - len(minimal)


def _spend_leftover(sections: list[_Section], kept: list[int], leftover: int) -> list[int]:
    """Give what the cap left unused back to cut sections, a line at a time, round-robin by id.

    Equal sections all cross a cap together, so without this a fleet of look-alike sections
    would be cut much further than the limit needs.
    """
    kept = list(kept)
    grew = True
    while grew:
        grew = False
        for i, section in enumerate(sections):
            if kept[i] >= len(section.lines):
                continue
            bigger = section.next_cut(kept[i])
            step = section.length(bigger) - section.length(kept[i])
            if step <= leftover:
                kept[i] = bigger
                leftover -= step
                grew = True
    return kept


def _note(truncated: int, omitted: int) -> str | None:
    if not truncated and not omitted:
        return None
    what = f"{plural(truncated, 'section')} truncated"
    if omitted:
        what += f" and {plural(omitted, 'more Space')} left out"
    return f"{what} to fit GitHub's comment limit; see the full plan artifact."


def _hard_cut(text: str, max_chars: int) -> str:
    # Only reached when the header alone is too long (an enormous extra_header or notes).
    suffix = "\n\n_… cut to fit GitHub's comment limit; see the full plan artifact._\n"
    return text[: max(0, max_chars - len(suffix))] + suffix
