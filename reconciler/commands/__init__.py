"""One module per subcommand, each exposing a click command named `command`."""

from __future__ import annotations

import importlib

import click

# Subcommand modules, in the order `reconcile --help` lists them.
COMMANDS = ("validate", "plan", "apply", "drift", "import_cmd", "preview", "schema", "hub")


def register_all(group: click.Group) -> None:
    for name in COMMANDS:
        module = importlib.import_module(f"reconciler.commands.{name}")
        group.add_command(module.command)
