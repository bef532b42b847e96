"""Policies against the live local Hub: shown by plan in every format, enforced by apply."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reconciler.localhub import LocalHub
from tests.e2e.conftest import run_cli
from tests.reliability.helpers import Admin, writes

BUDGET = """apiVersion: spaces-reconciler/v1
kind: Policy
metadata: {name: budget}
spec:
  rules:
    - name: monthly-budget
      expression: "plan.cost.monthlyDeltaUsd <= 300.0 || 'cost-approved' in context.labels"
      message: "this change adds more than $300 a month"
---
apiVersion: spaces-reconciler/v1
kind: Policy
metadata: {name: gpu}
spec:
  rules:
    - name: sleep-long-enough
      # Judged with the plan: reads the Space and the change apply would make.
      expression: "change.cost.afterUsdPerHour == 0.0 || space.spec.sleepTime <= 1800"
      message: "GPU Spaces sleep after 30 minutes"
"""


@pytest.fixture
def expensive(fleet: Path) -> Path:
    """The example fleet with gradio-hello on a10g-small ($1/hour, about $730 a month) and a budget policy."""
    manifest = fleet / "manifests" / "gradio-hello.yaml"
    text = manifest.read_text().replace("hardware: cpu-basic", "hardware: a10g-small\n  sleepTime: 3600")
    manifest.write_text(text)
    (fleet / "manifests" / "policies.yaml").write_text(BUDGET)
    return fleet


def test_plan_shows_a_violation_in_text_json_and_markdown(hub: LocalHub, expensive: Path) -> None:
    text = run_cli("plan", "--out", "plan.json")
    assert text.code == 0, text.output
    assert "Policy: 2 violation(s) blocking apply" in text.stdout
    assert "x the plan: policy budget/monthly-budget (error): this change adds more than $300 a month" in text.stdout
    assert "x local-org/gradio-hello: policy gpu/sleep-long-enough (error): GPU Spaces sleep after 30 minutes" in (
        text.stdout
    )
    plan = json.loads((expensive / "plan.json").read_text())
    [fleet_wide] = plan["policy"]
    assert (fleet_wide["rule"], fleet_wide["outcome"], fleet_wide["severity"]) == (
        "monthly-budget",
        "violated",
        "error",
    )
    entries = {e["id"]: e for e in plan["spaces"]}
    [finding] = entries["local-org/gradio-hello"]["policy"]
    assert (finding["rule"], finding["outcome"]) == ("sleep-long-enough", "violated")
    assert all("policy" not in e for i, e in entries.items() if i != "local-org/gradio-hello")
    markdown = run_cli("plan", "--format", "markdown")
    header = markdown.stdout.split("<details>", 1)[0]
    assert "> [!CAUTION]" in header
    assert "`local-org/gradio-hello`" in header and "`the plan`" in header


def test_apply_is_refused_by_an_error_rule_with_zero_writes(hub: LocalHub, expensive: Path) -> None:
    admin = Admin(hub)
    admin.reset_stats()
    refused = run_cli("apply", "--auto-approve")
    assert refused.code == 1, refused.output
    assert "apply refused by policy; nothing was written" in refused.stderr
    assert "the plan: policy budget/monthly-budget" in refused.stderr
    assert "local-org/gradio-hello: policy gpu/sleep-long-enough" in refused.stderr
    assert writes(admin.stats()) == {}


def test_a_pull_request_label_lifts_the_budget_rule(
    hub: LocalHub, expensive: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"pull_request": {"labels": [{"name": "cost-approved"}]}}))
    monkeypatch.setenv("GITHUB_EVENT_PATH", str(event))
    done = run_cli("plan", "--format", "json")
    assert done.code == 0, done.output
    assert "policy" not in json.loads(done.stdout)


def test_an_exemption_is_reported_and_does_not_block(hub: LocalHub, expensive: Path) -> None:
    manifest = expensive / "manifests" / "gradio-hello.yaml"
    label = 'labels: {team: demos, policy.spaces-reconciler/exempt: "sleep-long-enough until 2999-12-31"}'
    manifest.write_text(manifest.read_text().replace("labels: {team: demos}", label))
    done = run_cli("plan")
    assert done.code == 0, done.output
    assert "local-org/gradio-hello: policy gpu/sleep-long-enough (error): GPU Spaces sleep after 30 minutes " in (
        done.stdout
    )
    assert "[exempted until 2999-12-31]" in done.stdout
    assert "1 violation(s) blocking apply, 0 warning(s), 1 exemption(s) used" in done.stdout


def test_drift_reports_a_live_space_that_breaks_a_rule_even_in_sync(hub: LocalHub, fleet: Path) -> None:
    assert run_cli("apply", "--auto-approve", "--timeout", "60s").code == 0
    (fleet / "manifests" / "policies.yaml").write_text(
        "apiVersion: spaces-reconciler/v1\nkind: Policy\nmetadata: {name: visibility}\nspec:\n"
        "  match: {namespaces: [local-org]}\n  rules:\n    - name: not-public\n"
        "      expression: \"observed == null || observed.visibility != 'public'\"\n"
        "      message: local-org Spaces must not be public\n"
    )
    text = run_cli("drift", "--detailed-exitcode")
    assert text.code == 2, text.output
    assert "x local-org/gradio-hello: policy visibility/not-public (error): local-org Spaces must not be public" in (
        text.stdout
    )
    assert "local/docker-echo: policy" not in text.stdout  # another namespace: not matched
    report = json.loads(run_cli("drift", "--format", "json").stdout)
    assert {f["id"] for f in report["policy"]} >= {"local-org/gradio-hello"}
    assert all(entry["status"] == "in_sync" for entry in report["spaces"])
    markdown = run_cli("drift", "--format", "markdown").stdout
    assert "**Policy:" in markdown and "local-org/gradio-hello" in markdown
