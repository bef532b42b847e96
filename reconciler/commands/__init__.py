"""One module per subcommand, each exposing a click command named `command`."""

from __future__ import annotations

import importlib

import click

# Subcommand modules, in the order `reconcile --help` lists them.
COMMANDS = ("validate", "plan", "apply", "verify", "drift", "import_cmd", "preview", "schema", "hub")

# Shown at the end of each subcommand's --help: the invocations people actually type.
EXAMPLES = {
    "validate": ["reconcile validate", "reconcile validate manifests/demo.yaml --format json"],
    "plan": [
        "reconcile plan",
        "reconcile plan --target acme/demo --detailed-exitcode",
        "reconcile plan --format markdown --out plan.md",
        "reconcile plan --out plan.json --shard 1/4",
    ],
    "apply": [
        "reconcile apply",
        "reconcile plan --out plan.json && reconcile apply --plan plan.json",
        "reconcile apply --auto-approve --target acme/demo --rollback-on-failure",
    ],
    "verify": [
        "reconcile verify",
        "reconcile verify --target acme/demo --format json",
        "reconcile verify --format markdown --out verify.md",
    ],
    "drift": [
        "reconcile drift",
        "reconcile drift --namespace acme --format html --out drift.html",
        "reconcile drift --detailed-exitcode --format json",
    ],
    "import": [
        "reconcile import acme/demo",
        "reconcile import acme/demo --source-dir manifests/apps/demo --out manifests/demo.yaml",
        "reconcile import --namespace acme --manifests-dir manifests",
    ],
    "preview": ["reconcile preview up --pr 42", "reconcile preview down --pr 42"],
    "preview up": ["reconcile preview up --pr 42", "reconcile preview up --pr 42 --no-wait --format json"],
    "preview down": ["reconcile preview down --pr 42", "reconcile preview down --pr 42 --namespace acme"],
    "schema": ["reconcile schema --out schemas/"],
    "hub": ["reconcile hub serve --port 8787", "reconcile --hub local plan"],
    "hub serve": [
        "reconcile hub serve",
        "reconcile hub serve --port 0 --state /tmp/hub --build-seconds 1",
    ],
}


def register_all(group: click.Group) -> None:
    for name in COMMANDS:
        module = importlib.import_module(f"reconciler.commands.{name}")
        command = module.command
        _add_examples(command, command.name or "")
        group.add_command(command)


def _add_examples(command: click.Command, path: str) -> None:
    """The examples of `path` ("preview up" for a subcommand of a group) and of its subcommands."""
    examples = EXAMPLES.get(path)
    if examples and not command.epilog:
        command.epilog = "\b\nExamples:\n" + "\n".join(f"  {line}" for line in examples)
    if isinstance(command, click.Group):
        for name, sub in command.commands.items():
            _add_examples(sub, f"{path} {name}")
