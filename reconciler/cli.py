"""Command line entry point: parse, call the core, render, exit. The only module that exits.

Exit codes: 0 success, 1 user or Hub error, 2 changes or drift found (with
--detailed-exitcode), 3 a bug (details logged to .reconcile/crash.log), 130 interrupted.
"""

from __future__ import annotations

import os
import sys
import traceback

import click

from reconciler import __version__
from reconciler.commands import register_all
from reconciler.errors import ReconcileError, UserError
from reconciler.files import open_private
from reconciler.planner import PruneRefused
from reconciler.render.words import PRUNE_REFUSAL_HINT, prune_refusal_text
from reconciler.workspace import state_dir

EPILOG = """\b
Examples:
  reconcile validate manifests/
  reconcile --hub local plan
  reconcile plan --format markdown --out plan.md
  reconcile plan --out plan.json && reconcile apply --plan plan.json --auto-approve
  reconcile drift --format html --out drift.html
  reconcile hub serve --port 8787 --state .reconcile/hub

\b
The Hub is HF_ENDPOINT (default https://huggingface.co) with HF_TOKEN, or the
embedded local Hub with --hub local (RECONCILE_HUB=local): no token, no network.
"""


@click.group(epilog=EPILOG, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="reconcile")
@click.option(
    "--hub",
    type=click.Choice(["local", "remote"]),
    envvar="RECONCILE_HUB",
    default="remote",
    show_default=True,
    help="'local' runs against the embedded local Hub (state in .reconcile/hub/).",
)
@click.option("--no-color", is_flag=True, help="Plain text output even on a terminal (as NO_COLOR=1 does).")
@click.option(
    "--run-apps",
    is_flag=True,
    envvar="RECONCILE_RUN_APPS",
    help="With --hub local: run gradio Spaces for real (needs gradio installed).",
)
@click.pass_context
def cli(ctx: click.Context, hub: str, no_color: bool, run_apps: bool) -> None:
    """GitOps for Hugging Face Spaces: plan, apply and drift-check Spaces from YAML manifests."""
    if no_color:
        os.environ["NO_COLOR"] = "1"  # the one switch every renderer already honours (no-color.org)
    ctx.obj = {"hub": hub, "run_apps": run_apps}


GLOBAL_OPTIONS = ("--hub", "--no-color", "--run-apps")


def hoist_global_options(argv: list[str]) -> list[str]:
    """`reconcile plan --hub local` means `reconcile --hub local plan`: people type options last.

    Only the group's own options move, and only before a `--` that ends option parsing.
    """
    moved: list[str] = []
    rest: list[str] = []
    index = 0
    while index < len(argv):
        arg = argv[index]
        if arg == "--":
            rest.extend(argv[index:])
            break
        if arg in ("--no-color", "--run-apps") or arg.startswith("--hub="):
            moved.append(arg)
        elif arg == "--hub" and index + 1 < len(argv):
            moved.extend(argv[index : index + 2])
            index += 1
        else:
            rest.append(arg)
        index += 1
    return moved + rest


register_all(cli)


def main(argv: list[str] | None = None) -> None:
    """The one error boundary: known errors exit 1 with a message, bugs exit 3."""
    try:
        args = hoist_global_options(list(sys.argv[1:] if argv is None else argv))
        code = cli.main(args=args, prog_name="reconcile", standalone_mode=False)
    except click.exceptions.Exit as done:
        code = done.exit_code
    except click.ClickException as problem:
        problem.show()
        # click gives a usage error (an unknown option, a bad value) exit 2, which here means
        # "changes present": a mistyped option in CI would read as a plan with changes.
        code = 1 if isinstance(problem, click.UsageError) else problem.exit_code
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        code = 130
    except KeyboardInterrupt:
        click.echo("Interrupted.", err=True)
        code = 130
    except PruneRefused as refused:
        click.echo(f"error: {prune_refusal_text(refused.protected)}; nothing was written", err=True)
        click.echo(f"  hint: {PRUNE_REFUSAL_HINT}", err=True)
        code = 1
    except UserError as problem:
        for diagnostic in problem.diagnostics:
            click.echo(str(diagnostic), err=True)
        click.echo(f"error: {problem}", err=True)
        code = 1
    except ReconcileError as problem:
        click.echo(f"error: {problem}", err=True)
        code = 1
    except Exception:
        crash_log = state_dir() / "crash.log"
        # Private to the user, like the rest of .reconcile/: a traceback names paths and values.
        with open_private(crash_log) as log:
            log.write(traceback.format_exc().encode("utf-8"))
        click.echo(f"error: unexpected failure; this is a bug. Details in {crash_log}", err=True)
        code = 3
    sys.exit(code if isinstance(code, int) else 0)


if __name__ == "__main__":
    main()
