"""`reconcile verify`: run each Space's spec.verify checks against the live fleet; change nothing."""

from __future__ import annotations

from pathlib import Path

import click

from reconciler.commands._common import hub_client, load_fleet, parallelism_option, paths_argument, write_output
from reconciler.hub.live import LiveReader
from reconciler.render.verify_text import render_json, render_markdown, render_text
from reconciler.targets import resolve_targets
from reconciler.verify.fleet import verify_fleet

RENDERERS = {"text": render_text, "json": render_json, "markdown": render_markdown}


@click.command(name="verify")
@paths_argument
@click.option(
    "--target",
    "targets",
    multiple=True,
    metavar="NS/NAME",
    help="Verify only these Spaces: an id, a name or a glob (repeatable).",
)
@click.option("--format", "fmt", type=click.Choice(list(RENDERERS)), default="text", show_default=True)
@click.option("--out", type=click.Path(path_type=Path, dir_okay=False), help="Write the report here.")
@parallelism_option
@click.pass_context
def command(
    ctx: click.Context,
    paths: tuple[Path, ...],
    targets: tuple[str, ...],
    fmt: str,
    out: Path | None,
    parallelism: int,
) -> int:
    """Check that the live Spaces work: run log, API endpoints, smoke calls (spec.verify).

    Exit 0 when every check passes, 2 when a check failed, 1 on an error.
    """
    # gradio_client is imported only when verifying: every other command starts as fast as before.
    from reconciler.verify.gradio_api import connect

    spaces = load_fleet(paths).spaces
    if targets:
        wanted = set(resolve_targets(targets, (s.id for s in spaces)))
        spaces = tuple(s for s in spaces if s.id in wanted)
    with hub_client(ctx, parallelism) as client:
        reader = LiveReader(client)
        token = reader.token
        results = verify_fleet(spaces, reader, connect(token), [token] if token else [], parallelism)
    write_output(RENDERERS[fmt](results), out)
    if any(r.errored and not r.failed for r in results):
        return 1
    return 2 if any(r.failed for r in results) else 0
