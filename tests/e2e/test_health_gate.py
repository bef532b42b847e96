"""The health gate: it judges the new version only, gives up after --timeout and says where the Space was."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from huggingface_hub import HfApi

from reconciler.localhub import LocalHub
from tests.e2e.conftest import run_cli, serving


def test_a_build_slower_than_the_timeout_fails_with_the_stage(
    tmp_path: Path, fleet: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with serving(tmp_path / "slow-hub", monkeypatch, grace_s=None, build_seconds=600, restart_seconds=5):
        result = run_cli(
            "apply", "--auto-approve", "--target", "local/docker-echo", "--timeout", "1s", "--format", "json"
        )
    assert result.code == 1
    (outcome,) = json.loads(result.stdout)["results"]
    assert outcome["outcome"] == "failed" and outcome["stage"] == "BUILDING"
    assert "timed out after 1s waiting for RUNNING on " in outcome["message"]
    assert "already written: create" in outcome["message"], "a failure says what already reached the Hub"


# ---------------------------------------------------------------- judged on what the Hub shows
# Each runs with the §13 switches in their default positions (no runtime sha, the old stage
# showing for a while after a commit) and all flipped (runtime sha, BUILDING at once).

BOTH = pytest.mark.parametrize("hub", ["default", "flipped"], indirect=True)
GRADIO = "local-org/gradio-hello"
APP = Path("manifests/apps/gradio-hello")
CRASH = "\nraise RuntimeError('boom')  # localhub: runtime-error\n"


def apply_json(*args: str) -> dict[str, Any]:
    result = run_cli("apply", "--auto-approve", "--target", GRADIO, "--format", "json", *args)
    (outcome,) = json.loads(result.stdout)["results"]
    return dict(outcome, code=result.code)


def plan_rung() -> str:
    result = run_cli("plan", "--target", GRADIO, "--format", "json")
    return str(json.loads(result.stdout)["spaces"][0]["rung"])


@BOTH
def test_a_fix_is_not_judged_on_the_old_versions_runtime_error(hub: LocalHub, fleet: Path) -> None:
    app = (APP / "app.py").read_text()
    (APP / "app.py").write_text(app + CRASH)
    assert apply_json()["outcome"] == "failed"
    (APP / "app.py").write_text(app + "\n# fixed\n")  # an upload: the crashed Space is not RUNNING
    outcome = apply_json()
    assert (outcome["outcome"], outcome["stage"], outcome["code"]) == ("applied", "RUNNING", 0), outcome
    assert plan_rung() == "none"


@BOTH
def test_a_broken_version_is_not_passed_on_the_old_versions_running(hub: LocalHub, fleet: Path) -> None:
    assert apply_json()["outcome"] == "applied"
    (APP / "requirements.txt").write_text("# localhub: build-error\n")
    outcome = apply_json()
    assert (outcome["outcome"], outcome["stage"], outcome["code"]) == ("failed", "BUILD_ERROR", 1), outcome


@BOTH
def test_rollback_waits_for_the_rolled_back_version_not_the_failed_one(hub: LocalHub, fleet: Path) -> None:
    assert apply_json()["outcome"] == "applied"
    (APP / "requirements.txt").write_text("# localhub: build-error\n")
    outcome = apply_json("--rollback-on-failure")
    # Its own outcome, with the reason as a value; not "failed ... run apply again to converge".
    assert (outcome["outcome"], outcome["rollback_reason"], outcome["failure"], outcome["code"]) == (
        "rolled-back",
        "build-error",
        "build-error",
        1,
    ), outcome
    assert outcome["stage"] == "RUNNING" and [w["kind"] for w in outcome["writes"]][-1] == "rollback-commit"
    assert "runs the previous commit" in outcome["message"] and "apply again to converge" not in outcome["message"]
    (APP / "requirements.txt").unlink()
    assert plan_rung() == "none"  # the rolled-back files are the manifest's again
    runtime = HfApi(endpoint=hub.endpoint, token=hub.token).get_space_runtime(GRADIO)
    assert runtime.stage == "RUNNING"


def test_no_restart_within_the_grace_period_is_its_own_outcome(
    tmp_path: Path, fleet: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The old version keeps showing for ten minutes: apply cannot tell it from the new one.
    with serving(
        tmp_path / "lagging-hub", monkeypatch, grace_s=1, build_seconds=0.3, restart_seconds=0.2, stage_lag_seconds=600
    ):
        assert apply_json()["outcome"] == "applied"  # a new Space shows BUILDING at once
        (APP / "README.md").write_text((APP / "README.md").read_text() + "\nMore words.\n")
        outcome = apply_json()
    assert (outcome["outcome"], outcome["code"]) == ("committed", 0), outcome
    assert outcome["message"] == "committed; the Space has not restarted yet"


@BOTH
def test_a_hot_reload_that_raises_shows_where_and_falls_back(hub: LocalHub, fleet: Path) -> None:
    assert apply_json()["outcome"] == "applied"
    (APP / "app.py").write_text((APP / "app.py").read_text() + CRASH)
    result = run_cli("apply", "--auto-approve", "--target", GRADIO)
    assert result.code == 1
    assert "hot reload not confirmed (replica r1: exception at line" in result.output
    assert "RuntimeError" in result.output
    assert "restart (hot reload fallback)" in result.output and "RUNTIME_ERROR" in result.output


@BOTH
def test_a_confirmed_hot_reload_is_not_restarted(hub: LocalHub, fleet: Path) -> None:
    assert apply_json()["outcome"] == "applied"
    (APP / "app.py").write_text((APP / "app.py").read_text() + "\n# tweak\n")
    outcome = apply_json()
    assert (outcome["outcome"], outcome["stage"]) == ("applied", "RUNNING"), outcome
    assert not any("restart" in w for w in outcome["written"])
    assert plan_rung() == "none"


@BOTH
def test_pausing_with_a_python_edit_ends_paused_and_converges(hub: LocalHub, fleet: Path) -> None:
    # Bug 1: the hot reload's fallback restart un-paused the Space; the next plan showed spec.paused again.
    assert apply_json()["outcome"] == "applied"
    manifest = Path("manifests/gradio-hello.yaml")
    manifest.write_text(manifest.read_text().replace("spec:\n", "spec:\n  paused: true\n", 1))
    (APP / "app.py").write_text((APP / "app.py").read_text() + "\n# tweak\n")
    outcome = apply_json()
    assert outcome["outcome"] == "applied" and outcome["code"] == 0, outcome
    assert HfApi(endpoint=hub.endpoint, token=hub.token).get_space_runtime(GRADIO).stage == "PAUSED"
    assert plan_rung() == "none"
