"""`reconcile validate`: every diagnostic of the manifests, before any network call."""

from __future__ import annotations

import json
from pathlib import Path

import click

from reconciler.errors import Diagnostic
from reconciler.manifests import LoadResult, load_manifests


@click.command("validate")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def command(paths: tuple[Path, ...], fmt: str) -> int:
    """Check manifests (schema, semantics, Space lint); print every finding as FILE:LINE:COL.

    PATH is a manifest file or a folder searched recursively (default: manifests/).
    Exits 0 when there are no errors (warnings allowed), 1 otherwise.
    """
    result = load_manifests(list(paths) or [Path("manifests")])
    if fmt == "json":
        click.echo(json.dumps(as_json(result), indent=2, ensure_ascii=False))
    else:
        for diagnostic in result.diagnostics:
            click.echo(str(diagnostic))
        click.echo(summary(result))
    return 0 if result.ok else 1


def summary(result: LoadResult) -> str:
    errors, warnings = len(result.errors), len(result.warnings)
    verdict = "valid" if result.ok else "invalid"
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


def as_json(result: LoadResult) -> dict[str, object]:
    return {
        "format_version": 1,
        "ok": result.ok,
        "spaces": [space.id for space in result.spaces],
        "diagnostics": [diagnostic_json(d) for d in result.diagnostics],
        "summary": {"errors": len(result.errors), "warnings": len(result.warnings)},
    }
