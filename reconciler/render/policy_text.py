"""Policy findings as words: one line per finding, the same wording in every output."""

from __future__ import annotations

from reconciler.model import PolicyFinding, PolicyOutcome


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
    return f"policy: {blocking} violation(s) blocking apply, {warnings} warning(s), {exempted} exemption(s) used"
