"""End-to-end fixtures: a live local Hub, a copy of the example fleet, the CLI run in-process.

Commands run exactly as a user runs them (argv through the CLI's error boundary), against
the local Hub over loopback HTTP via HF_ENDPOINT/HF_TOKEN. Builds take a fraction of a
second so the health gate is exercised for real without slowing the suite.

The local Hub runs with its §13 switches in their default (pessimistic) positions;
RECONCILE_E2E_FIDELITY=flipped runs the whole suite with every switch the other way.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from reconciler.cli import main
from reconciler.localhub import LocalHub
from reconciler.localhub.fidelity import Fidelity
from tests.conftest import CANARY

REPO_ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Run:
    code: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


def run_cli(*args: str, input: str | None = None) -> Run:
    """Run `reconcile ARGS` in-process, through the same entry point as the console script."""
    runner = CliRunner()
    with runner.isolation(input=input) as (out, err, _):
        try:
            main(list(args))
            code = 0
        except SystemExit as done:
            code = done.code if isinstance(done.code, int) else 1
        stdout, stderr = out.getvalue().decode(), err.getvalue().decode()
    print(stdout, stderr)  # visible on failure; the canary check reads captured output too
    return Run(code, stdout, stderr)


SWITCH_POSITIONS = {"default": Fidelity, "flipped": Fidelity.flipped}
FIDELITY_ENV = "RECONCILE_E2E_FIDELITY"


def suite_fidelity() -> Fidelity:
    """The §13 switch positions this run uses: RECONCILE_E2E_FIDELITY (default, or flipped)."""
    position = os.environ.get(FIDELITY_ENV) or "default"
    if position not in SWITCH_POSITIONS:
        raise pytest.UsageError(f"{FIDELITY_ENV}={position!r}: use one of {', '.join(SWITCH_POSITIONS)}")
    return SWITCH_POSITIONS[position]()


def repository(root: Path, monkeypatch: pytest.MonkeyPatch, files: Mapping[str, str]) -> Path:
    """A git-like workspace at `root` (a `.git` folder marks the repository root), `files` written
    by relative path, and `manifests/` made even when empty; the cwd of the test."""
    (root / ".git").mkdir(parents=True)
    (root / "manifests").mkdir()
    for relative, content in files.items():
        (root / relative).parent.mkdir(parents=True, exist_ok=True)
        (root / relative).write_text(content)
    monkeypatch.chdir(root)
    return root


@contextmanager
def serving(
    state: Path, monkeypatch: pytest.MonkeyPatch, *, grace_s: float | None = 5, **hub: Any
) -> Iterator[LocalHub]:
    """A local Hub the CLI talks to (HF_ENDPOINT, HF_TOKEN, a 0.1 s poll interval, `grace_s` as
    RECONCILE_RESTART_GRACE unless None), with the suite's §13 switch positions unless `hub`
    names a `fidelity`. Every end-to-end Hub starts here, so a flipped run flips them all."""
    hub.setdefault("fidelity", suite_fidelity())
    with LocalHub(state, **hub) as local:
        monkeypatch.setenv("HF_ENDPOINT", local.endpoint)
        monkeypatch.setenv("HF_TOKEN", local.token)
        monkeypatch.setenv("RECONCILE_POLL_INTERVAL", "0.1")
        if grace_s is not None:
            monkeypatch.setenv("RECONCILE_RESTART_GRACE", str(grace_s))
        yield local


@pytest.fixture
def hub(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[LocalHub]:
    """The local Hub with its §13 switches as RECONCILE_E2E_FIDELITY says (default positions
    unless set), or in the position a test names when parametrized with
    `@pytest.mark.parametrize("hub", ["default", "flipped"], indirect=True)`."""
    param = getattr(request, "param", None)
    fidelity = SWITCH_POSITIONS[param]() if param is not None else suite_fidelity()
    with serving(
        tmp_path / "hub-state",
        monkeypatch,
        build_seconds=0.3,
        restart_seconds=0.2,
        stage_lag_seconds=0.3,
        fidelity=fidelity,
    ) as local:
        yield local


@pytest.fixture
def fleet(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the example manifests in a fresh git-less workspace; the cwd of the test."""
    workspace = tmp_path / "repo"
    shutil.copytree(REPO_ROOT / "manifests", workspace / "manifests")
    (workspace / ".git").mkdir()  # marks the repository root for fromFile checks
    (workspace / ".gitignore").write_text("secrets/\n")  # where the fleet keeps fromFile secrets (README)
    monkeypatch.chdir(workspace)
    # The example's secret carries the canary value: any leak fails the test (tests/conftest.py).
    monkeypatch.setenv("HELLO_TOKEN", CANARY)
    return workspace
