"""Apply progress: a live table of Spaces on a terminal, plain lines elsewhere (CI, pipes)."""

from __future__ import annotations

import threading
from types import TracebackType

import click
from rich.console import Console
from rich.live import Live
from rich.table import Table

from reconciler.fleetgate import FleetLine, GateEvent


def stage_text(event: GateEvent) -> str:
    stage = event.stage.value if event.stage is not None else "no stage shown"
    verdict = f" -> {event.verdict.value}" if event.verdict is not None else ""
    return f"{stage}{verdict} ({event.waited_s:.0f}s)"


def fleet_text(line: FleetLine) -> str:
    t = line.tally
    calls = f"{line.calls:,} Hub calls"
    if line.left_in_window is not None:
        calls += f", about {line.left_in_window:,} left in the rate-limit window (resets in {line.resets_in_s:.0f}s)"
    quiet = f", {t.not_restarted} not restarted yet" if t.not_restarted else ""
    counts = f"{t.building} building, {t.waiting} not started yet, {t.running} running, {t.failed} failed{quiet}"
    return f"fleet: {counts}; {calls}"


class PlainProgress:
    """One line per step and per stage change on stderr, and a fleet line whenever its counts
    change: readable in CI logs, safe from several threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: object = None

    def __call__(self, space_id: str, text: str) -> None:
        with self._lock:
            click.echo(f"{space_id}: {text}", err=True)

    def stage(self, event: GateEvent) -> None:
        self(event.space_id, stage_text(event))

    def fleet(self, line: FleetLine) -> None:
        t = line.tally
        counts = (t.building, t.waiting, t.running, t.failed, t.not_restarted)
        with self._lock:
            if counts == self._counts:
                return
            self._counts = counts
            click.echo(fleet_text(line), err=True)

    def __enter__(self) -> PlainProgress:
        return self

    def __exit__(self, *_: object) -> None:
        return None


class LiveProgress:
    """A table with each Space's current step, redrawn in place on a terminal."""

    def __init__(self) -> None:
        self._steps: dict[str, str] = {}
        self._stages: dict[str, str] = {}
        self._fleet = ""
        self._lock = threading.Lock()
        self._live = Live(self._table(), console=Console(stderr=True), refresh_per_second=8, transient=False)

    def _table(self) -> Table:
        table = Table(box=None, show_header=True, header_style="bold", caption=self._fleet or None)
        table.add_column("SPACE")
        table.add_column("STEP")
        table.add_column("STAGE")
        for space_id, step in sorted(self._steps.items()):
            table.add_row(space_id, step, self._stages.get(space_id, ""))
        return table

    def __call__(self, space_id: str, text: str) -> None:
        with self._lock:
            self._steps[space_id] = text
            self._live.update(self._table())

    def stage(self, event: GateEvent) -> None:
        with self._lock:
            self._stages[event.space_id] = stage_text(event)
            self._live.update(self._table())

    def fleet(self, line: FleetLine) -> None:
        with self._lock:
            self._fleet = fleet_text(line)
            self._live.update(self._table())

    def __enter__(self) -> LiveProgress:
        self._live.__enter__()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self._live.__exit__(kind, error, trace)
