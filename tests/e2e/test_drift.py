"""Drift caused the way people cause it (the real client against the local Hub) is classified
and attributed by `reconcile drift`, on the same observation and diff code as plan."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx2
import pytest
from huggingface_hub import CommitOperationAdd, HfApi

from reconciler.localhub import LocalHub
from reconciler.localhub.admin import admin_headers
from tests.conftest import CANARY
from tests.e2e.conftest import run_cli

GRADIO = "local-org/gradio-hello"
DOCKER = "local/docker-echo"
STATIC = "local-org/static-site"
EU = "local-org/regional-demo-eu"
US = "local-org/regional-demo-us"


@pytest.fixture
def drifted(hub: LocalHub, fleet: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """Apply the fleet, then have a person change things by hand; returns the drift JSON."""
    monkeypatch.setenv("RECONCILE_FINGERPRINT_KEY", "drift-test-key")
    assert run_cli("apply", "--auto-approve", "--timeout", "60s").code == 0
    api = HfApi(endpoint=hub.endpoint, token=hub.token)
    api.request_space_hardware(GRADIO, "t4-small")  # hardware changed by hand
    api.add_space_secret(GRADIO, "HELLO_TOKEN", "rotated-by-hand")  # rotated outside git
    api.add_space_variable(DOCKER, "DEBUG", "1")  # variable added by hand
    api.delete_space_variable(DOCKER, "ECHO_PREFIX")  # variable deleted by hand
    api.create_commit(  # a file edited in the web editor
        STATIC,
        [CommitOperationAdd(path_in_repo="index.html", path_or_fileobj=b"<h1>edited by hand</h1>\n")],
        repo_type="space",
        commit_message="Update index.html",
    )
    api.delete_repo(EU, repo_type="space")  # deleted by hand
    api.create_repo("local-org/side-project", repo_type="space", space_sdk="static")  # unmanaged
    api.create_commit(  # a broken build
        US,
        [CommitOperationAdd(path_in_repo="requirements.txt", path_or_fileobj=b"# localhub: build-error\n")],
        repo_type="space",
        commit_message="try a dependency",
    )
    httpx2.post(
        f"{hub.endpoint}/_localhub/clock", json={"advance_s": 60}, headers=admin_headers(hub.token)
    )  # let the broken build finish
    result = run_cli("drift", "--format", "json", "--detailed-exitcode")
    assert result.code == 2, result.output
    report: dict[str, Any] = json.loads(result.stdout)
    return {entry["id"]: entry for entry in report["spaces"]} | {"_summary": report["summary"]}


def test_each_kind_of_drift_is_classified(drifted: dict[str, Any]) -> None:
    statuses = {key: entry["status"] for key, entry in drifted.items() if key != "_summary"}
    assert statuses == {
        GRADIO: "drifted",
        DOCKER: "drifted",
        STATIC: "drifted",
        EU: "missing",
        US: "failed",
        "local-org/side-project": "unmanaged",
    }
    assert drifted["_summary"] == {"in_sync": 0, "drifted": 3, "missing": 1, "unmanaged": 1, "failed": 1}


def test_drift_is_attributed(drifted: dict[str, Any]) -> None:
    gradio = drifted[GRADIO]
    hardware = next(c for c in gradio["changes"] if c["path"] == "spec.hardware")
    assert (hardware["before"], hardware["after"]) == ("cpu-basic", "t4-small")
    secret = next(c for c in gradio["changes"] if c["path"] == "spec.secrets.HELLO_TOKEN")
    assert "outside git" in secret["note"] and secret["before"] == secret["after"] == "(sensitive)"
    assert gradio["detail"]["secrets_changed_outside"] == ["HELLO_TOKEN"]

    docker = drifted[DOCKER]
    assert docker["detail"]["variables_updated_outside"] == ["DEBUG"]
    assert docker["detail"]["variables_deleted_outside"] == ["ECHO_PREFIX"]

    static = drifted[STATIC]
    assert [f["path"] for f in static["detail"]["files"]["modified"]] == ["index.html"]
    (commit,) = static["detail"]["commits_since_reconciler"]
    assert (commit["title"], commit["author"]) == ("Update index.html", "local")

    assert drifted[US]["stage"] == "BUILD_ERROR"


def test_no_secret_value_in_any_drift_format(drifted: dict[str, Any], tmp_path: Path) -> None:
    for fmt in ("text", "markdown", "html"):
        out = tmp_path / f"drift.{fmt}"
        result = run_cli("drift", "--format", fmt, "--out", str(out))
        assert result.code == 0, result.output
        text = out.read_text()
        assert GRADIO in text
        assert "rotated-by-hand" not in text and CANARY not in text
