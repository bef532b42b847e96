"""Helpers shared by the subcommands: loading manifests, connecting to the Hub, output."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import click

from reconciler.errors import Severity, UserError
from reconciler.hub.client import HubClient
from reconciler.manifests import LoadResult, load_manifests
from reconciler.model import DesiredSpace
from reconciler.render import color_enabled
from reconciler.workspace import state_dir

DEFAULT_PATHS = (Path("manifests"),)

paths_argument = click.argument("paths", nargs=-1, type=click.Path(path_type=Path), metavar="[PATH]...")
parallelism_option = click.option(
    "--parallelism",
    type=click.IntRange(1, 64),
    metavar="N",
    default=8,
    show_default=True,
    help="Hub reads in flight at once.",
)
# plan, apply and drift watch the same namespaces and treat unreadable secrets the same way.
namespaces_option = click.option(
    "--namespace",
    "namespaces",
    multiple=True,
    metavar="NS",
    help="Watch this namespace too (repeatable), besides reconcile.yaml's and the manifests'.",
)
rewrite_unreadable_secrets_option = click.option(
    "--rewrite-unreadable-secrets",
    is_flag=True,
    help=(
        "Rewrite secrets whose description the Hub does not return (their value cannot be compared); "
        "by default they are left alone and reported unknown."
    ),
)


def load_desired(paths: Sequence[Path]) -> tuple[DesiredSpace, ...]:
    return load_fleet(paths).spaces


def load_fleet(paths: Sequence[Path]) -> LoadResult:
    """Load and validate manifests; warnings go to stderr, errors stop with every diagnostic."""
    result = load_manifests(list(paths) or list(DEFAULT_PATHS))
    for diagnostic in result.diagnostics:
        if diagnostic.severity is Severity.WARNING:
            click.echo(str(diagnostic), err=True)
    if not result.ok:
        errors = tuple(d for d in result.diagnostics if d.severity is Severity.ERROR)
        raise UserError(f"{len(errors)} error(s) in the manifests; nothing was read from the Hub", errors)
    return result


@contextmanager
def hub_client(ctx: click.Context, parallelism: int = 8) -> Iterator[HubClient]:
    """The Hub of this run: the embedded local Hub with --hub local, else HF_ENDPOINT + HF_TOKEN."""
    if ctx.obj and ctx.obj.get("hub") == "local":
        from reconciler.localhub import LocalHub

        build_s = float(os.environ.get("RECONCILE_LOCALHUB_BUILD_SECONDS", "2"))
        run_apps = bool(ctx.obj.get("run_apps"))
        try:
            local = LocalHub(
                state_dir() / "hub",
                build_seconds=build_s,
                # A restart shorter than one poll of the health gate is invisible to it (it must see
                # APP_STARTING: the runtime carries no sha, hub-contract §13), and apply would end
                # "committed, not restarted" after the grace. The Hub's own restarts take far longer.
                restart_seconds=max(build_s / 2, 2 * poll_interval()),
                stage_lag_seconds=build_s / 2,
                run_apps=run_apps,
            )
        except RuntimeError as problem:
            raise UserError(str(problem)) from None
        with local, _client(local.endpoint, local.token, parallelism) as client:
            yield client
        return
    endpoint = os.environ.get("HF_ENDPOINT") or None
    with _client(endpoint, os.environ.get("HF_TOKEN") or None, parallelism) as client:
        yield client


def poll_interval() -> float:
    """How often the health gate polls, in seconds (local Hubs with short builds poll faster)."""
    return float(os.environ.get("RECONCILE_POLL_INTERVAL", "2"))


def restart_grace() -> float:
    """How long a Space may show no restart after a change before apply says so, in seconds."""
    return float(os.environ.get("RECONCILE_RESTART_GRACE", "60"))


def _client(endpoint: str | None, token: str | None, parallelism: int) -> HubClient:
    # The client's upload and download bars are drawn only on a terminal; in a CI log they are noise.
    return HubClient(endpoint, token, parallelism=parallelism, notify=_stderr, progress_bars=sys.stderr.isatty())


def _stderr(line: str) -> None:
    click.echo(line, err=True)


def use_color() -> bool:
    return color_enabled(sys.stdout.isatty())


def write_output(text: str, out: Path | None) -> None:
    if out is None:
        click.echo(text, nl=not text.endswith("\n"))
        return
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
