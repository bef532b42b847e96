"""Policy findings as words: one line per finding, the same wording in every output."""

from __future__ import annotations

from collections.abc import Mapping

from reconciler.model import Plan, PolicyFinding, PolicyOutcome


def finding_text(finding: PolicyFinding) -> str:
    """`policy org/sleep-on-gpu (error): GPU Spaces must set sleepTime`, plus why it is special."""
    text = f"policy {finding.qualified} ({finding.severity}): {finding.message}"
    if finding.outcome is PolicyOutcome.ERRORED:
        text += f" [the rule could not be evaluated: {finding.error}]"
    elif finding.outcome is PolicyOutcome.EXEMPTED:
        text += f" [exempted until {finding.exempt_until}]"
    return text


def verdict(findings: list[PolicyFinding]) -> str:
    blocking = sum(1 for f in findings if f.blocks)
    exempted = sum(1 for f in findings if f.outcome is PolicyOutcome.EXEMPTED)
    warnings = len(findings) - blocking - exempted
    return f"Policy: {blocking} violation(s) blocking apply, {warnings} warning(s), {exempted} exemption(s) used"


PLAN_WIDE = "the plan"


def plan_findings(plan: Plan) -> list[tuple[str, PolicyFinding]]:
    """(Space id, or "the plan" for plan-wide rules, finding), blocking ones first, then by Space."""
    found = [(PLAN_WIDE, finding) for finding in plan.policy]
    found += [(entry.id, finding) for entry in plan.spaces for finding in entry.policy]
    return sorted(found, key=lambda item: (not item[1].blocks, item[0] != PLAN_WIDE, item[0], item[1].qualified))


def plan_policy_lines(plan: Plan) -> list[str]:
    """The text plan's policy block: empty when no rule has anything to say."""
    return policy_lines(plan_findings(plan))


def sorted_findings(by_space: Mapping[str, tuple[PolicyFinding, ...]]) -> list[tuple[str, PolicyFinding]]:
    found = [(space_id, finding) for space_id, findings in by_space.items() for finding in findings]
    return sorted(found, key=lambda item: (not item[1].blocks, item[0], item[1].qualified))


def policy_lines(found: list[tuple[str, PolicyFinding]]) -> list[str]:
    if not found:
        return []
    lines = [verdict([finding for _, finding in found])]
    lines += [f"  {'x' if f.blocks else '!'} {space_id}: {finding_text(f)}" for space_id, f in found]
    return lines
