"""Views of verification outcomes: text, JSON (with smoke arguments), markdown (a nightly issue).

Only JSON shows smoke call arguments: they may hold user data. Evidence texts were redacted
of secret values before they became outcomes; `visible` keeps control characters inert.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict
from typing import Any

from reconciler.render._common import plural, visible
from reconciler.verify.outcomes import CheckResult, Problem, SpaceVerification, Status

MARKS = {Status.PASSED: "ok", Status.FAILED: "FAIL", Status.ERROR: "ERROR", Status.SKIPPED: "skip"}
ICONS = {Status.PASSED: "✅", Status.FAILED: "❌", Status.ERROR: "⚠️", Status.SKIPPED: "⏭️"}


def problem_text(result: CheckResult) -> str:
    """One line saying what went wrong, from the problem code and its evidence."""
    e = result.evidence
    problem = result.problem
    if problem is Problem.NOT_RUNNING:
        return f"the Space is {e.stage or 'not on the Hub'}, not RUNNING"
    if problem is Problem.LOG_MATCHED:
        return f"{plural(len(e.lines), 'run log line')} since the boot match{'es' if len(e.lines) == 1 else ''}"
    if problem is Problem.LOG_NOT_SEEN:
        return "never appeared in the run log before the timeout"
    if problem is Problem.ENDPOINTS_MISSING:
        listed = ", ".join(e.available) or "none"
        return f"missing from the Space's API: {', '.join(e.missing)} (it has: {listed})"
    if problem is Problem.API_UNREACHABLE:
        return f"the Space's API could not be read: {visible(e.exception or '')}"
    if problem is Problem.CALL_RAISED:
        return f"the call raised: {visible(e.exception or '')}"
    if problem is Problem.CALL_TIMED_OUT:
        return f"no answer within {result.seconds:.0f}s"
    if problem is Problem.WRONG_KIND:
        found = e.output_kind or "no known file type"
        return f"expected {result.expect}, the output is {found} (first bytes: {e.head_hex})"
    if problem is Problem.NOT_A_FILE:
        return f"expected {result.expect}, the output is not a file: {visible(e.preview or '')}"
    if problem is Problem.MISMATCH:
        return f"expected {result.expect}, got: {visible(e.preview or '')}"
    if problem is Problem.HUB_ERROR:
        return f"the Hub could not be read: {visible(e.exception or '')}"
    if problem is Problem.DEADLINE:
        return "not run: the verification's timeout ran out first"
    return ""


def _label(result: CheckResult) -> str:
    return f"{result.check.value} {visible(result.target)}".rstrip()


def _summary(results: Sequence[SpaceVerification]) -> dict[str, int]:
    return {
        "passed": sum(1 for r in results if r.passed),
        "failed": sum(1 for r in results if r.failed),
        "error": sum(1 for r in results if r.errored and not r.failed),
    }


def check_lines(result: CheckResult, indent: str = "  ") -> list[str]:
    """One check as text: its mark and label, and for a failure what went wrong and the lines."""
    lines = [f"{indent}[{MARKS[result.status]}] {_label(result)}"]
    if result.status in (Status.FAILED, Status.ERROR):
        pad = indent + " " * 7
        lines.append(f"{pad}{problem_text(result)}")
        lines.extend(f"{pad}| {visible(line)}" for line in result.evidence.lines)
    return lines


NOTHING_TO_VERIFY = "No Space in these manifests declares spec.verify: nothing to verify."


def render_text(results: Sequence[SpaceVerification]) -> str:
    if not results:
        return NOTHING_TO_VERIFY + "\n"
    lines: list[str] = []
    for space in results:
        verdict = "passed" if space.passed else ("failed" if space.failed else "error")
        lines.append(f"{space.id}: {verdict}")
        for result in space.results:
            lines.extend(check_lines(result))
    counts = _summary(results)
    lines.append(
        f"Verified {plural(len(results), 'Space')}: {counts['passed']} passed, {counts['failed']} failed, "
        f"{counts['error']} could not be checked."
    )
    return "\n".join(lines) + "\n"


def check_json(result: CheckResult) -> dict[str, Any]:
    evidence = {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(result.evidence).items() if v}
    data: dict[str, Any] = {
        "check": result.check.value,
        "target": result.target,
        "status": result.status.value,
        "problem": result.problem.value if result.problem else None,
        "evidence": evidence,
        "seconds": round(result.seconds, 3),
    }
    if result.expect is not None:
        data["expect"] = result.expect
    if result.args is not None:
        data["args"] = result.args
    return data


def render_json(results: Sequence[SpaceVerification]) -> str:
    data = {
        "format_version": 1,
        "spaces": [
            {
                "id": space.id,
                "status": "passed" if space.passed else ("failed" if space.failed else "error"),
                "checks": [check_json(r) for r in space.results],
            }
            for space in results
        ],
        "summary": _summary(results),
    }
    return json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n"


def _md(text: str) -> str:
    return visible(text).replace("|", "\\|").replace("`", "'")


def render_markdown(results: Sequence[SpaceVerification]) -> str:
    if not results:
        return f"## Verification\n\n{NOTHING_TO_VERIFY}\n"
    counts = _summary(results)
    out = [
        "## Verification",
        "",
        f"{plural(len(results), 'Space')}: {counts['passed']} passed, {counts['failed']} failed, "
        f"{counts['error']} could not be checked.",
        "",
        "| Space | Result | Checks |",
        "|---|---|---|",
    ]
    for space in results:
        icon = ICONS[Status.PASSED if space.passed else (Status.FAILED if space.failed else Status.ERROR)]
        passed = sum(1 for r in space.results if r.status is Status.PASSED)
        out.append(f"| `{space.id}` | {icon} | {passed}/{len(space.results)} passed |")
    for space in results:
        out += ["", f"### `{space.id}`", ""]
        for result in space.results:
            line = f"- {ICONS[result.status]} **{_md(result.check.value)}** `{_md(result.target)}`"
            if result.status in (Status.FAILED, Status.ERROR):
                line += f": {_md(problem_text(result))}"
            out.append(line)
            if result.evidence.lines:
                out += ["", "  ```text", *(f"  {visible(line)}" for line in result.evidence.lines), "  ```"]
    return "\n".join(out) + "\n"
