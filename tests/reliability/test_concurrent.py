"""R3: two applies at once on the same Spaces. No update is lost: each Space ends with exactly
one new commit, all of one side's files; the side whose change did not land exits 1 and says
the Space changed since it was observed (or that its plan is stale, if it looked later)."""

from __future__ import annotations

import re
from pathlib import Path

from reconciler.apply import ApplyOptions, Outcome, apply_entries
from reconciler.hub.client import HubClient
from reconciler.localhub import LocalHub
from reconciler.manifests import load_manifests
from reconciler.pipeline import make_plan
from tests.e2e.conftest import run_cli
from tests.reliability.helpers import Admin, cli_env, finish, spawn, write_fleet
from tests.reliability.state import commit_counts

LOST_RACE = re.compile(r"changed since it was observed|plan is stale", re.IGNORECASE)


def _side(workspace: Path, label: str, count: int) -> list[str]:
    ids = write_fleet(workspace / label, count, version=label)
    (workspace / label / "app" / "helper.py").write_text(f"SIDE = {label!r}\n")
    return ids


def _files_of(hub: LocalHub, space_id: str) -> tuple[bytes, bytes]:
    with hub.store.lock:
        repo = hub.store.get("space", space_id)
        assert repo is not None
        return hub.store.read_file(repo.tree, "app.py"), hub.store.read_file(repo.tree, "helper.py")


def test_two_applies_at_once_lose_no_update(hub: LocalHub, admin: Admin, workspace: Path) -> None:
    ids = _side(workspace, "base", 3)
    assert run_cli("apply", "--auto-approve", "--no-wait", "base/manifests").code == 0
    admin.call("POST", "clock", {"advance_s": 3600})  # builds done: the stage stays RUNNING from now on
    before = commit_counts(hub, ids)
    for side in ("A", "B"):
        _side(workspace, side, 3)
        result = run_cli("plan", "--out", f"{side}.json", f"{side}/manifests")
        assert result.code == 0, result.output
    # Slow requests so both re-observe the Hub before either commits.
    admin.faults(latency_ms=150)
    processes = {
        side: spawn(["apply", "--plan", f"{side}.json", "--no-wait", f"{side}/manifests"], workspace, cli_env(hub))
        for side in ("A", "B")
    }
    outputs = {side: finish(process) for side, process in processes.items()}  # checked for the canaries
    admin.clear_faults()
    codes = {side: processes[side].returncode for side in processes}

    assert commit_counts(hub, ids) == {i: before[i] + 1 for i in ids}, "a lost or doubled commit"
    winners = {}
    for space_id in ids:
        app, helper = _files_of(hub, space_id)
        side = helper.decode().split("'")[1]
        assert f"VERSION = {side!r}".encode() in app, f"{space_id} mixes files of both applies"
        winners[space_id] = side
    for side, (stdout, stderr) in outputs.items():
        text = stdout + stderr
        assert "Traceback" not in text
        lost = [i for i in ids if winners[i] != side]
        if lost:
            assert codes[side] == 1, text
            assert LOST_RACE.search(text), text
            assert all(space_id in text for space_id in lost), text
        else:
            assert codes[side] == 0, text
    print(f"R3: exit codes {codes}, Spaces won {winners}")


def test_the_later_commit_is_refused_not_applied(hub: LocalHub, workspace: Path) -> None:
    """Deterministic: both observe the same head, A commits, B's commit gets the Hub's 412."""
    ids = _side(workspace, "base", 2)
    assert run_cli("apply", "--auto-approve", "--no-wait", "base/manifests").code == 0
    sides = {}
    with HubClient(hub.endpoint, hub.token) as client:
        for side in ("A", "B"):
            _side(workspace, side, 2)
            desired = load_manifests([workspace / side / "manifests"], repo_root=workspace / side).spaces
            plan, observation = make_plan(client, desired, cache=None)
            sides[side] = (plan, observation, {d.id: d for d in desired})
        results = {}
        for side, (plan, observation, desired) in sides.items():
            results[side] = apply_entries(
                client, plan.spaces, desired, observation.observed, ApplyOptions(wait=False), lambda *_: None
            )
    assert [r.outcome for r in results["A"]] == [Outcome.APPLIED, Outcome.APPLIED]
    assert [r.outcome for r in results["B"]] == [Outcome.FAILED, Outcome.FAILED]
    assert all("changed since it was observed" in r.message for r in results["B"])
    for space_id in ids:
        assert _files_of(hub, space_id)[1] == b"SIDE = 'A'\n"
