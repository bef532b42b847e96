"""`reconcile hub serve`: run the local Hub in the foreground."""

from __future__ import annotations

import errno
from pathlib import Path
from typing import TYPE_CHECKING

import click

from reconciler import workspace
from reconciler.errors import UserError

if TYPE_CHECKING:
    from reconciler.localhub import LocalHub


@click.group(name="hub")
def command() -> None:
    """The local Hub: an offline stand-in for the Hugging Face Hub's Space API."""


@command.command()
@click.option("--host", metavar="HOST", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option("--port", metavar="PORT", default=8787, show_default=True, type=int, help="Port (0 picks a free one).")
@click.option(
    "--state",
    "state_dir",
    default=None,
    type=click.Path(file_okay=False, path_type=Path),
    metavar="DIR",
    help="Directory holding the Hub's repos, settings and token [default: .reconcile/hub at the repository root].",
)
@click.option(
    "--build-seconds",
    metavar="SECONDS",
    default=20.0,
    show_default=True,
    type=float,
    help="Simulated image build time.",
)
@click.option(
    "--restart-seconds",
    metavar="SECONDS",
    default=5.0,
    show_default=True,
    type=float,
    # The health gate must see APP_STARTING to know a settings change restarted the Space.
    help="Simulated app start time. Keep it over two polls of apply's health gate (RECONCILE_POLL_INTERVAL, "
    "2 s): a shorter start can end unseen, and apply then reports the Space 'committed' after a minute.",
)
@click.option(
    "--stage-lag-seconds",
    default=3.0,
    show_default=True,
    type=float,
    metavar="SECONDS",
    help="How long the old stage still shows after a commit or a settings change.",
)
@click.option(
    "--run-apps", is_flag=True, help="Run gradio Spaces for real (needs gradio installed); others stay simulated."
)
@click.option(
    "--max-apps", metavar="N", default=4, show_default=True, type=click.IntRange(1, 64), help="Apps running at once."
)
@click.pass_context
def serve(
    ctx: click.Context,
    host: str,
    port: int,
    state_dir: Path | None,
    build_seconds: float,
    restart_seconds: float,
    stage_lag_seconds: float,
    run_apps: bool,
    max_apps: int,
) -> None:
    """Serve the local Hub until interrupted.

    \b
    Point the client at it:
      HF_ENDPOINT=http://127.0.0.1:8787 HF_TOKEN=$(cat .reconcile/hub/token) hf spaces info local/demo
    """
    state_dir = state_dir or workspace.state_dir() / "hub"
    run_apps = run_apps or bool(ctx.obj and ctx.obj.get("run_apps"))
    # Imported by this command only: the local Hub's server (starlette, uvicorn, trio and the Xet
    # CAS's codecs) would otherwise load in every `reconcile` process, apply's included (P9).
    from reconciler.localhub import LocalHub

    try:
        hub = LocalHub(
            state_dir,
            host=host,
            port=port,
            build_seconds=build_seconds,
            restart_seconds=restart_seconds,
            stage_lag_seconds=stage_lag_seconds,
            run_apps=run_apps,
            max_apps=max_apps,
        )
    except RuntimeError as problem:
        raise UserError(str(problem)) from None

    def announce(ready: LocalHub) -> None:
        click.echo(f"Local Hub listening on {ready.endpoint}")
        click.echo(f"Token (user 'local', org 'local-org'): {ready.token}  (also in {state_dir / 'token'})")
        click.echo("Press Ctrl-C to stop.")

    try:
        hub.serve_forever(announce)
    except OSError as problem:
        # Binding is the only step that fails on a user's choice (a port in use, a privileged port,
        # an address this machine does not have); anything later is not the user's doing.
        if hub.bound:
            raise
        reason = {
            errno.EADDRINUSE: "is already in use (another `reconcile hub serve`?); pick another with --port",
            errno.EACCES: "needs privileges on this machine; pick a port above 1023 with --port",
            errno.EADDRNOTAVAIL: "is on an address this machine does not have; check --host",
        }.get(problem.errno or 0, f"cannot be bound ({problem.strerror})")
        raise UserError(f"{host}:{port} {reason}") from None
