"""A drift report as a GitHub issue body: a title line, a summary table, a section per drifted,
failed or missing Space, and the unmanaged ones listed.

GitHub rejects bodies over 65,536 characters; like the plan comment, the body is fitted under
that limit and says what it cut. User-controlled strings go through the plan comment's escaping.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import jinja2

from reconciler.drift import DriftReport, DriftStatus
from reconciler.render._common import plural
from reconciler.render._drift_common import (
    TEMPLATES,
    by_severity,
    drift_counts,
    template_globals,
    title,
    volume_text,
)
from reconciler.render._markdown import html_text, md_code, md_text
from reconciler.render.plan_markdown import GITHUB_COMMENT_LIMIT, md_value
from reconciler.render.policy_text import policy_lines, sorted_findings

# Per Space, at most this many changes, files or commits (the JSON and HTML have them all).
MAX_MARKDOWN_ROWS = 50


def render_drift_markdown(report: DriftReport, max_chars: int = GITHUB_COMMENT_LIMIT) -> str:
    """A GitHub issue body of at most `max_chars` characters; its first line, minus "# ", is a title.

    When everything does not fit, sections are cut to one line each, the most severe kept whole
    first; if even the one-line forms do not fit, the last ones are left out. The body says so.
    """
    sections = [(_macro("section", e), _macro("collapsed", e)) for e in by_severity(report)]
    if found := sorted_findings(report.policy):
        lines = policy_lines(found)
        block = "\n".join([f"> **{md_text(lines[0])}**", *(f"> - {md_text(line.strip())}" for line in lines[1:])])
        sections.insert(0, (block, f"> **{md_text(lines[0])}**"))
    unmanaged = by_severity(report, (DriftStatus.UNMANAGED,))
    if unmanaged:
        sections.append((_macro("unmanaged", unmanaged), _macro("unmanaged_collapsed", unmanaged)))

    def document(texts: list[str], note: str | None) -> str:
        return _macro("document", report, title(report), drift_counts(report), texts, note).rstrip("\n") + "\n"

    full = document([text for text, _ in sections], None)
    if len(full) <= max_chars:
        return full
    reserve = _fit_note(len(sections), len(sections))
    overhead = len(document([], reserve))
    separator = len(document(["x"], reserve)) - overhead - 1
    budget = max_chars - overhead
    used = sum(len(short) + separator for _, short in sections)
    chosen: list[str] = []
    if used <= budget:  # every section fits in one line: give the rest back, most severe first
        for text, short in sections:
            grown = used + len(text) - len(short)
            chosen.append(text if grown <= budget else short)
            used = grown if grown <= budget else used
        cut = sum(1 for text, (full_text, _) in zip(chosen, sections, strict=True) if text != full_text)
        result = document(_compact(chosen, {short for _, short in sections}), _fit_note(cut, 0))
    else:
        used = 0
        for _, short in sections:
            used += len(short) + separator
            if used > budget:
                break
            chosen.append(short)
        result = document(_compact(chosen, set(chosen)), _fit_note(len(chosen), len(sections) - len(chosen)))
    return result if len(result) <= max_chars else result[: max_chars - 1] + "…"


def _compact(texts: list[str], one_liners: set[str]) -> list[str]:
    """Consecutive one-line sections as one tight list (the budget counted them apart: only shorter)."""
    blocks: list[str] = []
    for i, text in enumerate(texts):
        if blocks and text in one_liners and texts[i - 1] in one_liners:
            blocks[-1] += "\n" + text
        else:
            blocks.append(text)
    return blocks


def _fit_note(cut: int, left_out: int) -> str:
    what = f"{plural(cut, 'section')} cut to one line"
    if left_out:
        what += f" and {plural(left_out, 'more section')} left out"
    return f"{what} to fit GitHub's limit; see the full report (`--format json` or `--format html`)."


@cache
def _markdown_template() -> jinja2.Template:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=False,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
    )
    env.filters.update(md=md_text, code=md_code, html=html_text, value=md_value, volume=volume_text)
    env.globals.update(template_globals(), max_rows=MAX_MARKDOWN_ROWS)
    return env.get_template("drift.md.j2")


def _macro(name: str, *args: Any) -> str:
    return str(getattr(_markdown_template().module, name)(*args))
