"""apply --plan executes the reviewed plan: shard and prune together (bug 2 of the decisions issue)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from huggingface_hub import HfApi

from reconciler.localhub import LocalHub
from reconciler.model import OWNERSHIP_TAG
from reconciler.pipeline import Shard
from tests.conftest import SPECIAL_CANARY, keep_secret
from tests.e2e.conftest import run_cli
from tests.e2e.test_prune_and_fallback import make_space

ORPHAN = "local-org/orphan-3"  # shard 3/3 owns it, and of the fleet only local-org/gradio-hello


def test_a_reviewed_shard_with_a_deletion_applies_instead_of_being_stale(hub: LocalHub, fleet: Path) -> None:
    assert Shard(3, 3).owns(ORPHAN) and Shard(3, 3).owns("local-org/gradio-hello")
    make_space(hub, ORPHAN, [OWNERSHIP_TAG])
    planned = run_cli("plan", "--prune", "--shard", "3/3", "--out", "plan.json")
    assert planned.code in (0, 2), planned.output
    rungs = {e["id"]: e["rung"] for e in json.loads(Path("plan.json").read_text())["spaces"]}
    assert rungs == {"local-org/gradio-hello": "create", ORPHAN: "delete"}
    applied = run_cli("apply", "--plan", "plan.json", "--shard", "3/3")
    assert applied.code == 0, applied.output
    assert "stale" not in applied.output
    assert not HfApi(endpoint=hub.endpoint, token=hub.token).repo_exists(ORPHAN, repo_type="space")


def apply_with_fingerprint_key(monkeypatch: pytest.MonkeyPatch) -> None:
    """gradio-hello applied with a fingerprint key, so later plans can tell a secret value changed."""
    monkeypatch.setenv("RECONCILE_FINGERPRINT_KEY", "a-long-random-fingerprint-key-for-this-test")
    first = run_cli("apply", "--auto-approve", "--target", "local-org/gradio-hello", "--timeout", "60s")
    assert first.code == 0, first.output


def plan_reviewing(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    """plan.json for gradio-hello made while HELLO_TOKEN holds `value`, the value under review."""
    monkeypatch.setenv("HELLO_TOKEN", keep_secret(value))
    planned = run_cli("plan", "--target", "local-org/gradio-hello", "--out", "plan.json")
    assert planned.code == 0 and "spec.secrets.HELLO_TOKEN" in planned.output, planned.output


STALE_SECRET = "local-org/gradio-hello: the value of secret HELLO_TOKEN changed since the plan was made"


def test_a_secret_value_changed_after_the_plan_names_the_space_and_the_secret(
    hub: LocalHub, fleet: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    apply_with_fingerprint_key(monkeypatch)
    planned = run_cli("plan", "--target", "local-org/gradio-hello", "--out", "plan.json")
    assert planned.code == 0, planned.output
    monkeypatch.setenv("HELLO_TOKEN", SPECIAL_CANARY)  # the value changes after the review
    applied = run_cli("apply", "--plan", "plan.json")
    assert applied.code == 1, applied.output
    assert STALE_SECRET in applied.stderr
    assert "manifests or files changed" not in applied.output and "Traceback" not in applied.output


def test_a_secret_value_changed_again_after_a_plan_that_changes_it_is_stale(
    hub: LocalHub, fleet: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The reviewed plan changes the secret to one value; apply must not write another one that
    # nobody reviewed (both plans say "changed": only the planned value's fingerprint tells).
    apply_with_fingerprint_key(monkeypatch)
    plan_reviewing(monkeypatch, "reviewed-value-Q7s9x2k4")
    monkeypatch.setenv("HELLO_TOKEN", SPECIAL_CANARY)
    applied = run_cli("apply", "--plan", "plan.json")
    assert applied.code == 1, applied.output
    assert STALE_SECRET in applied.stderr
    assert "reviewed-value-Q7s9x2k4" not in (fleet / "plan.json").read_text()


def test_a_reviewed_plan_that_changes_a_secret_applies_when_the_value_is_the_reviewed_one(
    hub: LocalHub, fleet: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The other side of the test above: a rotation reviewed in plan.json goes through.
    apply_with_fingerprint_key(monkeypatch)
    plan_reviewing(monkeypatch, "rotated-value-Z3k8w1")
    written = (fleet / "plan.json").read_text()
    assert "rotated-value-Z3k8w1" not in written and '"planned_fingerprint"' in written
    applied = run_cli("apply", "--plan", "plan.json")
    assert applied.code == 0, applied.output
    assert "secret HELLO_TOKEN" in applied.output and "stale" not in applied.output
    again = run_cli("plan", "--target", "local-org/gradio-hello", "--detailed-exitcode")
    assert again.code == 0, again.output


def test_a_secret_a_creation_adds_cannot_change_after_the_review(
    hub: LocalHub, fleet: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RECONCILE_FINGERPRINT_KEY", "a-long-random-fingerprint-key-for-this-test")
    plan_reviewing(monkeypatch, "reviewed-at-creation-P4m2")
    monkeypatch.setenv("HELLO_TOKEN", SPECIAL_CANARY)
    applied = run_cli("apply", "--plan", "plan.json")
    assert applied.code == 1, applied.output
    assert STALE_SECRET in applied.stderr
    assert not HfApi(endpoint=hub.endpoint, token=hub.token).repo_exists("local-org/gradio-hello", repo_type="space")
