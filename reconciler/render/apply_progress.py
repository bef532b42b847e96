"""Apply progress: a live table of Spaces on a terminal, plain lines elsewhere (CI, pipes)."""

from __future__ import annotations

import threading
from types import TracebackType

import click
from rich.console import Console
from rich.live import Live
from rich.table import Table


class PlainProgress:
    """One line per step on stderr: readable in CI logs, safe from several threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()

    def __call__(self, space_id: str, text: str) -> None:
        with self._lock:
            click.echo(f"{space_id}: {text}", err=True)

    def __enter__(self) -> PlainProgress:
        return self

    def __exit__(self, *_: object) -> None:
        return None


class LiveProgress:
    """A table with each Space's current step, redrawn in place on a terminal."""

    def __init__(self) -> None:
        self._steps: dict[str, str] = {}
        self._lock = threading.Lock()
        self._live = Live(self._table(), console=Console(stderr=True), refresh_per_second=8, transient=False)

    def _table(self) -> Table:
        table = Table(box=None, show_header=True, header_style="bold")
        table.add_column("SPACE")
        table.add_column("STEP")
        for space_id, step in sorted(self._steps.items()):
            table.add_row(space_id, step)
        return table

    def __call__(self, space_id: str, text: str) -> None:
        with self._lock:
            self._steps[space_id] = text
            self._live.update(self._table())

    def __enter__(self) -> LiveProgress:
        self._live.__enter__()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self._live.__exit__(kind, error, trace)
