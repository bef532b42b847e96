"""`reconcile preview up|down --pr N`: private per-pull-request copies of the Spaces a PR changes."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

import click

from reconciler.apply import ApplyOptions
from reconciler.commands._common import (
    hub_client,
    load_desired,
    parallelism_option,
    paths_argument,
    poll_interval,
    restart_grace,
    write_output,
)
from reconciler.commands.apply import parse_duration
from reconciler.preview import PREVIEW_SLEEP_S, PreviewOutcome, PreviewResult, preview_down, preview_up

pr_option = click.option(
    "--pr", type=click.IntRange(min=1), metavar="N", required=True, help="The pull request number."
)
format_option = click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)


@click.group(name="preview")
def command() -> None:
    """Per-pull-request preview Spaces: private copies named <name>-pr-<N>."""


@command.command(name="up")
@paths_argument
@pr_option
@click.option("--wait/--no-wait", default=True, show_default=True, help="Wait until each preview runs the new code.")
@click.option(
    "--timeout", metavar="DURATION", default="15m", show_default=True, help="Health gate timeout per preview."
)
@click.option(
    "--sleep-time",
    type=click.IntRange(min=60),
    metavar="SECONDS",
    default=PREVIEW_SLEEP_S,
    show_default=True,
    help="Sleep time of previews on paid hardware, in seconds (the Hub ignores it on cpu-basic).",
)
@format_option
@parallelism_option
@click.pass_context
def up(
    ctx: click.Context,
    paths: tuple[Path, ...],
    pr: int,
    wait: bool,
    timeout: str,
    sleep_time: int,
    fmt: str,
    parallelism: int,
) -> int:
    """Create or update a preview of every Space this pull request changes."""
    desired = load_desired(paths)
    options = ApplyOptions(
        wait=wait,
        timeout_s=parse_duration(timeout),
        parallelism=parallelism,
        plan_label="preview",
        poll_s=poll_interval(),
        grace_s=restart_grace(),
    )
    with hub_client(ctx, parallelism) as client:
        results = preview_up(client, desired, pr, options, _progress, sleep_s=sleep_time)
    write_output(render(results, pr, fmt), None)
    return 1 if any(r.outcome in (PreviewOutcome.FAILED, PreviewOutcome.REFUSED) for r in results) else 0


@command.command(name="down")
@paths_argument
@pr_option
@click.option("--namespace", "namespaces", multiple=True, metavar="NS", help="Look in this namespace too.")
@format_option
@click.pass_context
def down(ctx: click.Context, paths: tuple[Path, ...], pr: int, namespaces: tuple[str, ...], fmt: str) -> int:
    """Delete this pull request's previews (only Spaces that carry the preview tag)."""
    desired = load_desired(paths)
    with hub_client(ctx) as client:
        results = preview_down(client, desired, pr, namespaces, _progress)
    write_output(render(results, pr, fmt), None)
    return 1 if any(r.outcome is PreviewOutcome.FAILED for r in results) else 0


def _progress(space_id: str, text: str) -> None:
    click.echo(f"{space_id}: {text}", err=True)


def render(results: list[PreviewResult], pr: int, fmt: str) -> str:
    if fmt == "json":
        previews = [asdict(r) | {"outcome": r.outcome.value} for r in results]
        return json.dumps({"format_version": 1, "pr": pr, "previews": previews}, indent=2) + "\n"
    if not results:
        return f"No previews for pull request #{pr}.\n"
    problems = (PreviewOutcome.FAILED, PreviewOutcome.REFUSED)
    lines = [
        f"{r.id}  {r.outcome.value}  {r.url or '-'}" + (f"  ({r.message})" if r.outcome in problems else "")
        for r in results
    ]
    return "\n".join(lines) + "\n"
