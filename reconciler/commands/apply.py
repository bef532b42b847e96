"""`reconcile apply`: make the Hub match the manifests, then verify each Space runs the new code."""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

import click

from reconciler.apply import ApplyOptions, apply_entries
from reconciler.commands._common import (
    hub_client,
    load_fleet,
    namespaces_option,
    parallelism_option,
    paths_argument,
    poll_interval,
    restart_grace,
    rewrite_unreadable_secrets_option,
    use_color,
    write_output,
)
from reconciler.errors import UserError
from reconciler.hub.cache import TreeCache
from reconciler.model import Plan
from reconciler.plan_file import plan_from_json
from reconciler.project import watched_namespaces
from reconciler.render import color_enabled
from reconciler.render.apply_progress import LiveProgress, PlainProgress
from reconciler.render.apply_text import render_results_json, render_results_text
from reconciler.render.plan_text import render_plan_text
from reconciler.render.policy_text import finding_text
from reconciler.render.stale_text import stale_plan_text
from reconciler.reviewed import ApplyRequest, PolicyRefused, StalePlan, approved_plan
from reconciler.targets import resolve_targets
from reconciler.workspace import tree_cache_dir

DURATION = re.compile(r"(\d+(?:\.\d+)?)([smh]?)")


def parse_duration(text: str) -> float:
    """A positive, finite number of seconds, minutes or hours ("90s", "15m", "1h", "600").

    Digits only: float() would also take "-5m" (a wait that is over before it starts, after
    the writes), "nan" (never over) and "inf"."""
    found = DURATION.fullmatch(text.strip())
    seconds = float(found[1]) * {"": 1, "s": 1, "m": 60, "h": 3600}[found[2]] if found else 0.0
    if seconds <= 0:
        raise click.BadParameter(f"{text!r}: expected a positive duration like 90s, 15m or 1h")
    return seconds


@click.command(name="apply")
@paths_argument
@click.option(
    "--plan",
    "plan_file",
    type=click.Path(path_type=Path, exists=True, dir_okay=False),
    help="Apply exactly this reviewed plan (refused if stale).",
)
@click.option("--auto-approve", is_flag=True, help="Do not ask for confirmation.")
@click.option(
    "--wait/--no-wait", default=True, show_default=True, help="Wait until each changed Space runs the new code."
)
@click.option(
    "--timeout",
    metavar="DURATION",
    default="15m",
    show_default=True,
    help="Health gate timeout per Space (e.g. 90s, 15m).",
)
@click.option(
    "--target",
    "targets",
    multiple=True,
    metavar="NS/NAME",
    help="Apply only these Spaces: an id, a name or a glob (repeatable).",
)
@namespaces_option
@click.option("--shard", metavar="I/N", help="Apply only shard I of N.")
@click.option("--prune", is_flag=True, help="Delete Spaces this tool manages that have no manifest.")
@rewrite_unreadable_secrets_option
@click.option("--rollback-on-failure", is_flag=True, help="Commit the previous files back if the health gate fails.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@parallelism_option
@click.pass_context
def command(
    ctx: click.Context,
    paths: tuple[Path, ...],
    plan_file: Path | None,
    auto_approve: bool,
    wait: bool,
    timeout: str,
    targets: tuple[str, ...],
    namespaces: tuple[str, ...],
    shard: str | None,
    prune: bool,
    rewrite_unreadable_secrets: bool,
    rollback_on_failure: bool,
    fmt: str,
    parallelism: int,
) -> int:
    """Apply the manifests (or a reviewed plan.json) to the Hub."""
    options = ApplyOptions(
        wait=wait,
        timeout_s=parse_duration(timeout),
        rollback_on_failure=rollback_on_failure,
        parallelism=parallelism,
        plan_label=str(plan_file) if plan_file else "a fresh plan",
        poll_s=poll_interval(),
        grace_s=restart_grace(),
    )
    reviewed = plan_from_json(plan_file.read_text("utf-8"), source=str(plan_file)) if plan_file else None
    if reviewed is None and not auto_approve and not sys.stdin.isatty():
        raise UserError("apply needs confirmation but there is no terminal: pass --auto-approve, or --plan FILE")
    fleet = load_fleet(paths)
    request = ApplyRequest(
        reviewed=reviewed,
        targets=resolve_targets(targets, (d.id for d in fleet.spaces)),
        shard=shard,
        prune=prune,
        namespaces=watched_namespaces(namespaces),
        parallelism=parallelism,
        rewrite_unreadable_secrets=rewrite_unreadable_secrets,
    )
    cache = TreeCache(tree_cache_dir())
    with hub_client(ctx, parallelism) as client:
        try:
            approved = approved_plan(
                client,
                fleet.spaces,
                request,
                approve=lambda fresh: _confirm(fresh, auto_approve),
                policies=fleet.policies,
                context_env=os.environ,
                cache=cache,
            )
        except PolicyRefused as refused:
            raise _policy_error(refused) from None
        except StalePlan as stale:
            raise UserError(stale_plan_text(stale.stale)) from None
        if approved is None:
            click.echo("Apply cancelled; nothing was written.", err=True)
            return 1
        if not approved.todo and reviewed is not None:
            # A fresh plan was shown by _confirm, its "No changes" line included.
            click.echo("No changes. The Hub matches the manifests.", err=True)
        live = sys.stderr.isatty() and color_enabled(True)
        with LiveProgress() if live else PlainProgress() as progress:
            results = apply_entries(
                client, approved.todo, approved.desired, approved.observed, options, progress, cache, progress
            )
    write_output(
        render_results_json(results) if fmt == "json" else render_results_text(results, color=use_color()), None
    )
    return 1 if any(r.outcome.failing for r in results) else 0


def _policy_error(refused: PolicyRefused) -> UserError:
    """Error-severity policy rules that fail stop apply before any write (judged on the fresh plan)."""
    click.echo(render_plan_text(refused.fresh, color=use_color()), err=True)
    lines = [f"{space_id or 'the plan'}: {finding_text(finding)}" for space_id, finding in refused.found]
    return UserError("apply refused by policy; nothing was written:\n  " + "\n  ".join(lines))


def _confirm(fresh: Plan, auto_approve: bool) -> bool:
    click.echo(render_plan_text(fresh, color=use_color()), err=True)
    if not fresh.has_changes or auto_approve:
        return True
    return click.confirm("Apply these changes?", default=False, err=True)
