"""Every rung end to end: plan picks it, apply executes it through the real client, the local
Hub's own records show what happened, and a second plan shows no changes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx2
from huggingface_hub import HfApi

from reconciler.localhub import LocalHub
from reconciler.localhub.admin import admin_headers
from tests.e2e.conftest import run_cli

GRADIO = "local-org/gradio-hello"
APP = Path("manifests/apps/gradio-hello")


def events(hub: LocalHub, repo: str) -> list[dict[str, Any]]:
    response = httpx2.get(f"{hub.endpoint}/_localhub/events", params={"repo": repo}, headers=admin_headers(hub.token))
    return list(response.json())


def plan_entry(target: str) -> dict[str, Any]:
    result = run_cli("plan", "--target", target, "--format", "json")
    assert result.code == 0, result.output
    (entry,) = json.loads(result.stdout)["spaces"]
    return dict(entry)


def converge(target: str = GRADIO) -> None:
    result = run_cli("apply", "--auto-approve", "--target", target, "--timeout", "60s")
    assert result.code == 0, result.output
    assert plan_entry(target)["rung"] == "none"


def apply_and_count(hub: LocalHub, target: str = GRADIO) -> list[str]:
    """Apply, check convergence, and return the kinds of Hub events the apply caused."""
    before = len(events(hub, target))
    converge(target)
    return [e["kind"] for e in events(hub, target)[before:]]


def test_app_py_edit_is_hot_reloaded_without_a_build(hub: LocalHub, fleet: Path) -> None:
    converge()
    (APP / "app.py").write_text((APP / "app.py").read_text() + "\n# tweak\n")
    entry = plan_entry(GRADIO)
    assert (entry["rung"], entry["restarts"]) == ("hot-reload", 0)
    kinds = apply_and_count(hub)
    assert kinds == ["commit", "hot_reload"]
    runtime = HfApi(endpoint=hub.endpoint, token=hub.token).get_space_runtime(GRADIO)
    assert runtime.stage == "RUNNING" and runtime.raw["hotReloading"]["status"] == "created"


def test_readme_body_edit_is_an_upload(hub: LocalHub, fleet: Path) -> None:
    converge()
    (APP / "README.md").write_text((APP / "README.md").read_text() + "\nMore words.\n")
    entry = plan_entry(GRADIO)
    assert (entry["rung"], entry["restarts"]) == ("upload", 1)
    assert [f["path"] for f in entry["files"]["modified"]] == ["README.md"]
    assert apply_and_count(hub) == ["commit", "build"]


def test_requirements_change_is_a_rebuild(hub: LocalHub, fleet: Path) -> None:
    converge()
    (APP / "requirements.txt").write_text("numpy==2.1.0\n")
    entry = plan_entry(GRADIO)
    assert entry["rung"] == "rebuild"
    assert entry["reasons"] == ["requirements.txt added -> rebuild"]
    kinds = apply_and_count(hub)
    assert kinds == ["commit", "build"]
    assert "requirements.txt" in events(hub, GRADIO)[-1]["detail"]


def test_front_matter_change_is_a_rebuild(hub: LocalHub, fleet: Path) -> None:
    converge()
    manifest = Path("manifests/gradio-hello.yaml")
    manifest.write_text(manifest.read_text().replace("title: Gradio Hello", "title: Gradio Hello Again"))
    entry = plan_entry(GRADIO)
    assert entry["rung"] == "rebuild"
    assert any(c["path"] == "spec.card.title" for c in entry["changes"])
    assert apply_and_count(hub) == ["commit", "build"]


def test_hardware_and_variables_are_one_settings_rung(hub: LocalHub, fleet: Path) -> None:
    converge()
    manifest = Path("manifests/gradio-hello.yaml")
    text = manifest.read_text().replace("hardware: cpu-basic", "hardware: t4-small")
    manifest.write_text(text.replace("GREETING: Hello", "GREETING: Hi\n    EXTRA: one"))
    entry = plan_entry(GRADIO)
    assert (entry["rung"], entry["restarts"]) == ("settings", 1)
    assert [c["path"] for c in entry["changes"]] == ["spec.hardware", "spec.variables.EXTRA", "spec.variables.GREETING"]
    assert entry["cost"] == {"before_usd_per_hour": 0.0, "after_usd_per_hour": 0.4}
    kinds = apply_and_count(hub)
    assert "commit" not in kinds and "build" not in kinds
    assert kinds.count("restart") == 1, f"one restart for all settings, as planned: {kinds}"


def test_sleep_time_alone_restarts_nothing(hub: LocalHub, fleet: Path) -> None:
    converge()
    manifest = Path("manifests/gradio-hello.yaml")
    manifest.write_text(manifest.read_text().replace("hardware: cpu-basic", "hardware: cpu-upgrade"))
    converge()
    manifest.write_text(
        manifest.read_text().replace("hardware: cpu-upgrade", "hardware: cpu-upgrade\n  sleepTime: 3600")
    )
    entry = plan_entry(GRADIO)
    assert (entry["rung"], entry["restarts"]) == ("settings", 0)
    kinds = apply_and_count(hub)
    assert "restart" not in kinds and "build" not in kinds


def test_build_error_fails_the_health_gate_with_the_log_tail(hub: LocalHub, fleet: Path) -> None:
    converge()
    (APP / "requirements.txt").write_text("numpy\n# localhub: build-error\n")
    result = run_cli("apply", "--auto-approve", "--target", GRADIO, "--timeout", "60s", "--format", "json")
    assert result.code == 1
    (outcome,) = json.loads(result.stdout)["results"]
    assert (outcome["outcome"], outcome["stage"]) == ("failed", "BUILD_ERROR")
    assert outcome["log_tail"], "a failed build carries the last lines of its log"


def test_rollback_on_failure_restores_the_previous_files(hub: LocalHub, fleet: Path) -> None:
    converge()
    api = HfApi(endpoint=hub.endpoint, token=hub.token)
    good = api.space_info(GRADIO).sha

    def tree(revision: str | None) -> dict[str, str]:
        return {f.path: f.blob_id for f in api.list_repo_tree(GRADIO, repo_type="space", revision=revision)}

    (APP / "app.py").write_text((APP / "app.py").read_text() + "\n# changed with the broken build\n")
    (APP / "requirements.txt").write_text("# localhub: build-error\n")
    result = run_cli("apply", "--auto-approve", "--target", GRADIO, "--timeout", "60s", "--rollback-on-failure")
    assert result.code == 1
    assert "rolling back" in result.stderr
    assert api.space_info(GRADIO).sha != good  # a new commit restored the old tree
    assert tree(None) == tree(good)  # every file as it was: app.py back, requirements.txt gone
    assert api.get_space_runtime(GRADIO).stage == "RUNNING"


def test_stale_plan_is_refused_before_any_write(hub: LocalHub, fleet: Path) -> None:
    converge()
    (APP / "app.py").write_text((APP / "app.py").read_text() + "\n# tweak\n")
    assert run_cli("plan", "--target", GRADIO, "--out", "plan.json").code == 0
    HfApi(endpoint=hub.endpoint, token=hub.token).add_space_variable(GRADIO, "BY_HAND", "1")
    httpx2.post(f"{hub.endpoint}/_localhub/stats/reset", json={}, headers=admin_headers(hub.token))
    result = run_cli("apply", "--plan", "plan.json")
    assert result.code == 1
    assert f"{GRADIO}: its settings changed on the Hub since the plan was made" in result.stderr
    stats = httpx2.get(f"{hub.endpoint}/_localhub/stats", headers=admin_headers(hub.token)).json()["by_route"]
    writes = [route for route in stats if not route.startswith("GET")]
    assert writes == [], f"a stale plan must not write anything, saw {writes}"


def test_missing_secret_value_fails_only_that_space(hub: LocalHub, fleet: Path, monkeypatch: Any) -> None:
    monkeypatch.delenv("HELLO_TOKEN")
    result = run_cli("apply", "--auto-approve", "--timeout", "60s", "--format", "json")
    assert result.code == 1
    outcomes = {r["id"]: r for r in json.loads(result.stdout)["results"]}
    assert outcomes[GRADIO]["outcome"] == "failed"
    assert "HELLO_TOKEN" in outcomes[GRADIO]["message"] and "nothing was written" in outcomes[GRADIO]["message"]
    assert {r["outcome"] for i, r in outcomes.items() if i != GRADIO} == {"applied"}
    assert not HfApi(endpoint=hub.endpoint, token=hub.token).repo_exists(GRADIO, repo_type="space")
