"""`reconcile drift`: where the fleet on the Hub has wandered away from git."""

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
    use_color,
    write_output,
)
from reconciler.hub.live import LiveReader
from reconciler.pipeline import Selection, Shard, make_drift
from reconciler.project import watched_namespaces
from reconciler.render.drift_views import render_drift


@click.command(name="drift")
@paths_argument
@namespaces_option
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json", "markdown", "html"]), default="text", show_default=True
)
@click.option(
    "--out", type=click.Path(path_type=Path), metavar="FILE", help="Write the report to this file instead of stdout."
)
@click.option(
    "--detailed-exitcode",
    is_flag=True,
    help="Exit 0 when the Hub matches git; 2 on drift, failures, policy violations, or managed Spaces "
    "without a manifest.",
)
@click.option("--shard", metavar="I/N", help="Report only shard I of N.")
@parallelism_option
@click.pass_context
def command(
    ctx: click.Context,
    paths: tuple[Path, ...],
    namespaces: tuple[str, ...],
    fmt: str,
    out: Path | None,
    detailed_exitcode: bool,
    shard: str | None,
    parallelism: int,
) -> int:
    """Classify every Space in the watched namespaces: in_sync, drifted, missing, unmanaged, failed."""
    fleet = load_fleet(paths)
    selection = Selection(shard=Shard.parse(shard) if shard else None)
    with hub_client(ctx, parallelism) as client:
        read_endpoints = None
        if any(d.verify and d.verify.endpoints for d in fleet.spaces):
            # gradio_client is imported only when a Space declares endpoints to check.
            from reconciler.verify.fleet import endpoint_reader
            from reconciler.verify.gradio_api import connect

            reader = LiveReader(client)
            read_endpoints = endpoint_reader(reader, connect(reader.token))
        report = make_drift(
            client,
            fleet.spaces,
            namespaces=watched_namespaces(namespaces),
            selection=selection,
            parallelism=parallelism,
            policies=fleet.policies,
            context_env=os.environ,
            read_endpoints=read_endpoints,
        )
    write_output(render_drift(report, fmt, color=use_color() and out is None), out)
    return 2 if detailed_exitcode and (report.differs or report.violates_policy) else 0
