"""Views of apply results: a summary table for people, JSON for scripts."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence

import click

from reconciler.render.apply_words import result_message, write_text
from reconciler.render.verify_text import check_json, check_lines, problem_text
from reconciler.results import Outcome, SpaceResult
from reconciler.verify.outcomes import CheckResult, Status

_COLORS = {
    Outcome.APPLIED: "green",
    Outcome.COMMITTED: "yellow",
    Outcome.UNCHANGED: None,
    Outcome.FAILED: "red",
    Outcome.VERIFY_FAILED: "red",
    Outcome.ROLLED_BACK: "yellow",
    Outcome.SKIPPED: "yellow",
}


def render_results_text(results: Sequence[SpaceResult], color: bool) -> str:
    if not results:
        return "Apply complete: nothing to do.\n"
    rows = [("SPACE", "RUNG", "OUTCOME", "COMMIT", "STAGE", "ATTEMPTS")]
    rows += [
        (r.id, r.rung.value, r.outcome.value, (r.commit or "-")[:12], r.stage or "-", str(r.attempts)) for r in results
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = []
    for index, row in enumerate(rows):
        text = "  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip()
        if color and index > 0:
            text = click.style(text, fg=_COLORS[results[index - 1].outcome])
        lines.append(text)
    # Every write that reached the Hub, by Space (names, never values); a failing Space says its
    # own in the paragraph below.
    wrote = [r for r in results if r.written and not r.outcome.failing]
    if wrote:
        lines += ["", "Written:"]
        lines += [f"  {r.id}: {', '.join(write_text(w) for w in r.written)}" for r in wrote]
    for result in results:
        if result.outcome.failing:
            lines.append("")
            lines.append(f"{result.id}: {result_message(result)}")
            lines.extend(f"  | {line}" for line in result.log_tail)
        if result.verification:
            lines.append("")
            lines.append(f"{result.id}: verification")
            for check in result.verification:
                lines.extend(check_lines(check))
    counts = Counter(r.outcome.value for r in results)
    summary = ", ".join(f"{counts.get(o.value, 0)} {o.value}" for o in Outcome)
    lines.append("")
    lines.append(f"Apply complete: {summary}.")
    return "\n".join(lines) + "\n"


def render_results_json(results: Sequence[SpaceResult]) -> str:
    counts = Counter(r.outcome.value for r in results)
    document = {
        "format_version": 1,
        "results": [
            {
                "id": r.id,
                "rung": r.rung.value,
                "outcome": r.outcome.value,
                "failure": r.failure.value if r.failure else None,
                "rollback_reason": r.rollback_reason.value if r.rollback_reason else None,
                "message": result_message(r),
                "commit": r.commit,
                "stage": r.stage,
                "attempts": r.attempts,
                "written": [write_text(w) for w in r.written],
                "writes": [{"kind": w.kind.value, "subject": w.subject} for w in r.written],
                "log_tail": list(r.log_tail),
                "verification": [_check(c) for c in r.verification],
            }
            for r in results
        ],
        "summary": {o.value: counts.get(o.value, 0) for o in Outcome},
    }
    return json.dumps(document, indent=2) + "\n"


def _check(result: CheckResult) -> dict[str, object]:
    """A check as `reconcile verify --format json` shows it (smoke arguments included: JSON only),
    with its failure worded for views that read this JSON (the CI job summary)."""
    data = check_json(result)
    if result.status is not Status.PASSED:
        data["text"] = problem_text(result)
    return data
