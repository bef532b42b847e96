"""`reconcile validate`: every diagnostic of the manifests, before any network call."""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path

import click

from reconciler.errors import Diagnostic, Location, Severity
from reconciler.manifests import LoadResult, load_manifests
from reconciler.model import DesiredSpace, PolicyFinding, PolicyOutcome
from reconciler.policy.check import shared_inputs, validate_findings
from reconciler.render.policy_text import finding_text, verdict


@click.command("validate")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path), metavar="[PATH]...")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def command(paths: tuple[Path, ...], fmt: str) -> int:
    """Check manifests (schema, semantics, Space lint, policy rules over the desired Spaces);
    print every finding as FILE:LINE:COL.

    PATH is a manifest file or a folder searched recursively (default: manifests/).
    Exits 0 when there are no errors (warnings allowed), 1 otherwise.
    """
    result = load_manifests(list(paths) or [Path("manifests")])
    findings = validate_findings(result.policies, result.spaces, shared_inputs(os.environ))
    blocked = any(f.blocks for _, f in findings)
    if fmt == "json":
        click.echo(json.dumps(as_json(result, findings), indent=2, ensure_ascii=False))
    else:
        for diagnostic in result.diagnostics:
            click.echo(str(diagnostic))
        for space, finding in findings:
            click.echo(str(policy_diagnostic(space, finding)))
        click.echo(summary(result, [f for _, f in findings]))
        if findings:
            click.echo(verdict([f for _, f in findings]))
    return 0 if result.ok and not blocked else 1


def policy_diagnostic(space: DesiredSpace, finding: PolicyFinding) -> Diagnostic:
    """A finding about a Space, located at the Space's manifest (the rule's own place is in the text)."""
    ref = space.source_ref
    severity = Severity.ERROR if finding.blocks else Severity.WARNING
    hint = None
    if finding.outcome is not PolicyOutcome.EXEMPTED:
        hint = f"rule at {finding.location}; to exempt this Space add the label policy.spaces-reconciler/exempt: " + (
            f"'{finding.rule} until YYYY-MM-DD'"
        )
    return Diagnostic(severity, f"{space.id}: {finding_text(finding)}", Location(ref.file, ref.line, ref.col), hint)


def summary(result: LoadResult, findings: Sequence[PolicyFinding] = ()) -> str:
    """The counts of what was printed above it: a blocking policy finding is an error line."""
    blocking = sum(1 for f in findings if f.blocks)
    errors, warnings = len(result.errors) + blocking, len(result.warnings) + len(findings) - blocking
    verdict = "valid" if result.ok and not blocking else "invalid"
    return f"{verdict}: {len(result.spaces)} Space(s) ready, {errors} error(s), {warnings} warning(s)"


def diagnostic_json(diagnostic: Diagnostic) -> dict[str, object]:
    where = diagnostic.location
    return {
        "severity": diagnostic.severity.value,
        "message": diagnostic.message,
        "file": where.file if where else None,
        "line": where.line if where else None,
        "col": where.col if where else None,
        "hint": diagnostic.hint,
        "rule": diagnostic.rule,
    }


def as_json(result: LoadResult, findings: list[tuple[DesiredSpace, PolicyFinding]]) -> dict[str, object]:
    return {
        "format_version": 1,
        "ok": result.ok and not any(f.blocks for _, f in findings),
        "spaces": [space.id for space in result.spaces],
        "diagnostics": [diagnostic_json(d) for d in result.diagnostics],
        "policy": [{"space": space.id, **finding.model_dump(mode="json")} for space, finding in findings],
        "summary": {"errors": len(result.errors), "warnings": len(result.warnings)},
    }
