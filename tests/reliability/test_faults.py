"""R1: 10% injected faults during an apply (5xx, 429, dropped responses after the write, which
for reads are dropped connections). Apply converges within two runs, makes exactly one commit
per Space and change, and leaves every setting exactly as declared (checked in the Hub's store)."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.localhub import LocalHub
from tests.e2e.conftest import run_cli
from tests.reliability.helpers import Admin, write_fleet
from tests.reliability.state import commit_counts, problems

FAULTS = {"error_rate": 0.05, "error_statuses": [500, 502, 503, 429], "drop_response_rate": 0.05}


def _apply_converges(admin: Admin, *args: str) -> int:
    """Apply under faults; a second run is allowed. Returns the number of runs used."""
    admin.faults(**FAULTS)
    try:
        for run in (1, 2):
            result = run_cli("apply", "--auto-approve", *args)
            assert "Traceback" not in result.output
            if result.code == 0:
                return run
        pytest.fail(f"apply did not converge within two runs under 10% faults:\n{result.output[-3000:]}")
    finally:
        admin.clear_faults()


def _faulty_fleet(hub: LocalHub, admin: Admin, workspace: Path, count: int, *args: str) -> None:
    # A control Space applied without faults says how many commits a clean create makes.
    control = write_fleet(workspace / "control", 1, name="ctl")
    assert run_cli("apply", "--auto-approve", "--no-wait", "control/manifests").code == 0
    clean_commits = commit_counts(hub, control)[control[0]]

    ids = write_fleet(workspace, count)
    runs = _apply_converges(admin, "--no-wait", *args, "manifests")
    assert problems(hub, ids, "1") == []
    assert set(commit_counts(hub, ids).values()) == {clean_commits}, "a duplicate or missing commit"
    assert run_cli("plan", "--detailed-exitcode", "manifests").code == 0

    write_fleet(workspace, count, version="2")  # a variable and app.py change on every Space
    runs += _apply_converges(admin, "--no-wait", *args, "manifests")
    assert problems(hub, ids, "2") == []
    assert set(commit_counts(hub, ids).values()) == {clean_commits + 1}, "a duplicate or missing commit"
    assert run_cli("plan", "--detailed-exitcode", "manifests").code == 0
    print(f"R1: {count} Spaces, create + update under 10% faults converged in {runs} apply run(s)")


def test_apply_under_ten_percent_faults_converges_without_duplicates(
    hub: LocalHub, admin: Admin, workspace: Path
) -> None:
    _faulty_fleet(hub, admin, workspace, 50)


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_apply_of_200_spaces_under_faults_converges(hub: LocalHub, admin: Admin, workspace: Path) -> None:
    _faulty_fleet(hub, admin, workspace, 200, "--parallelism", "16")
