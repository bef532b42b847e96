"""`reconcile plan`: show what apply would change, and how disruptive each change is."""

from __future__ import annotations

import os
from pathlib import Path

import click

from reconciler.commands._common import (
    hub_client,
    load_fleet,
    namespaces_option,
    parallelism_option,
    paths_argument,
    rewrite_unreadable_secrets_option,
    use_color,
    write_output,
)
from reconciler.pipeline import Selection, Shard, make_plan
from reconciler.project import watched_namespaces
from reconciler.render.plan_json import plan_to_json
from reconciler.render.plan_markdown import render_plan_markdown
from reconciler.render.plan_text import render_plan_text
from reconciler.targets import resolve_targets


@click.command(name="plan")
@paths_argument
@click.option(
    "--out", type=click.Path(path_type=Path), metavar="FILE", help="Also write the plan as JSON to this file."
)
@click.option("--format", "fmt", type=click.Choice(["text", "json", "markdown"]), default="text", show_default=True)
@click.option("--stats", is_flag=True, help="Print the Hub calls made, by endpoint, to stderr.")
@click.option("--detailed-exitcode", is_flag=True, help="Exit 0 when there are no changes, 2 when there are.")
@click.option(
    "--target",
    "targets",
    multiple=True,
    metavar="NS/NAME",
    help="Plan only these Spaces: an id, a name or a glob (repeatable).",
)
@namespaces_option
@click.option("--shard", metavar="I/N", help="Plan only shard I of N (stable by Space id).")
@click.option("--prune", is_flag=True, help="Plan deletion of Spaces this tool manages that have no manifest.")
@rewrite_unreadable_secrets_option
@parallelism_option
@click.pass_context
def command(
    ctx: click.Context,
    paths: tuple[Path, ...],
    out: Path | None,
    fmt: str,
    stats: bool,
    detailed_exitcode: bool,
    targets: tuple[str, ...],
    namespaces: tuple[str, ...],
    shard: str | None,
    prune: bool,
    rewrite_unreadable_secrets: bool,
    parallelism: int,
) -> int:
    """Compare the manifests with the live Hub and show the cheapest change per Space."""
    fleet = load_fleet(paths)
    chosen = resolve_targets(targets, (s.id for s in fleet.spaces))
    selection = Selection(targets=chosen, shard=Shard.parse(shard) if shard else None)
    with hub_client(ctx, parallelism) as client:
        plan, _ = make_plan(
            client,
            fleet.spaces,
            selection=selection,
            prune=prune,
            namespaces=watched_namespaces(namespaces),
            parallelism=parallelism,
            policies=fleet.policies,
            context_env=os.environ,
            rewrite_unreadable_secrets=rewrite_unreadable_secrets,
        )
        if stats:
            print_stats(client.stats.snapshot(), len(plan.spaces))
    if out is not None:
        write_output(plan_to_json(plan), out)
    if fmt == "json":
        write_output(plan_to_json(plan), None)
    elif fmt == "markdown":
        write_output(render_plan_markdown(plan), None)
    else:
        write_output(render_plan_text(plan, color=use_color()), None)
    return 2 if detailed_exitcode and plan.has_changes else 0


def print_stats(counts: dict[str, int], spaces: int) -> None:
    total = sum(counts.values())
    click.echo(f"Hub calls: {total} for {spaces} Space(s)", err=True)
    for route, count in counts.items():
        click.echo(f"  {count:6d}  {route}", err=True)
