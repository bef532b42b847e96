"""A namespace no manifest names any more stays watched when declared (reconcile.yaml or
--namespace): plan counts the managed Spaces there that have no manifest, drift ends with that
count instead of "No drift", and --prune deletes them or refuses for preventDestroy."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from huggingface_hub import HfApi

from reconciler.localhub import LocalHub
from tests.e2e.conftest import run_cli

DOCKER = "local/docker-echo"  # the only Space of namespace `local` in the example fleet
ORPHAN_NOTE = (
    "1 Space in the watched namespaces carries the spaces-reconciler marker but has no manifest "
    f"({DOCKER}); --prune would delete it."
)


@pytest.fixture
def orphaned(hub: LocalHub, fleet: Path) -> Path:
    """The example fleet applied, then the only manifest of namespace `local` deleted."""
    assert run_cli("apply", "--auto-approve", "--timeout", "60s").code == 0
    Path("manifests/docker-echo.yaml").unlink()
    shutil.rmtree("manifests/apps/docker-echo")
    return fleet


def test_without_a_declaration_the_namespace_is_not_seen(orphaned: Path) -> None:
    plan = run_cli("plan")
    assert plan.code == 0 and DOCKER not in plan.output


def test_declared_in_the_project_file_plan_counts_the_orphan_and_prune_deletes_it(
    orphaned: Path, hub: LocalHub
) -> None:
    Path("reconcile.yaml").write_text("namespaces: [local]\n")
    assert run_cli("validate").code == 0  # the project file is never read as a manifest
    assert run_cli("validate", ".").code == 0

    plan = run_cli("plan")
    assert plan.code == 0, plan.output
    assert f"Note: {ORPHAN_NOTE}" in plan.stdout
    assert plan.stdout.rstrip().endswith("No changes. The Hub matches the manifests.")
    as_json = json.loads(run_cli("plan", "--format", "json").stdout)
    assert as_json["orphans"] == [{"id": DOCKER, "prevent_destroy": False}]
    assert ORPHAN_NOTE in run_cli("plan", "--format", "markdown").stdout

    drift = run_cli("drift")
    assert drift.code == 0, drift.output
    assert drift.stdout.rstrip().endswith(ORPHAN_NOTE)
    assert "No drift" not in drift.stdout
    drift_json = json.loads(run_cli("drift", "--format", "json").stdout)
    assert drift_json["orphans"] == [{"id": DOCKER, "prevent_destroy": False}]
    for fmt in ("markdown", "html"):
        page = run_cli("drift", "--format", fmt).stdout
        assert ORPHAN_NOTE in page and "No drift" not in page
    # An orphan is a difference between git and the Hub: --detailed-exitcode says 2 in every format.
    for fmt in ("text", "json", "markdown", "html"):
        detailed = run_cli("drift", "--format", fmt, "--detailed-exitcode")
        assert detailed.code == 2, (fmt, detailed.output)
        assert DOCKER in detailed.stdout and "No drift" not in detailed.stdout
    assert run_cli("plan", "--detailed-exitcode").code == 0  # apply without --prune would change nothing

    pruned = run_cli("apply", "--prune", "--auto-approve", "--timeout", "60s")
    assert pruned.code == 0, pruned.output
    assert not HfApi(endpoint=hub.endpoint, token=hub.token).repo_exists(DOCKER, repo_type="space")
    after = run_cli("drift", "--detailed-exitcode")
    assert after.stdout.rstrip().endswith("No drift. The Hub matches the manifests.")
    assert after.code == 0, after.output


def test_namespace_flag_and_prevent_destroy_refusal(hub: LocalHub, fleet: Path) -> None:
    manifest = Path("manifests/docker-echo.yaml")
    manifest.write_text(manifest.read_text() + "  lifecycle:\n    preventDestroy: true\n")
    assert run_cli("apply", "--auto-approve", "--timeout", "60s").code == 0
    manifest.unlink()

    plan = run_cli("plan", "--namespace", "local")
    assert plan.code == 0, plan.output
    assert f"({DOCKER}). --prune refuses to delete {DOCKER}: it carries lifecycle.preventDestroy." in plan.stdout
    refused = run_cli("apply", "--prune", "--namespace", "local", "--auto-approve")
    assert refused.code == 1
    assert DOCKER in refused.stderr and "preventDestroy" in refused.stderr and "Traceback" not in refused.output
    assert HfApi(endpoint=hub.endpoint, token=hub.token).repo_exists(DOCKER, repo_type="space")


def test_a_bad_project_file_names_the_line(fleet: Path) -> None:
    Path("reconcile.yaml").write_text("namespaces: [local]\nnamespace: [typo]\n")
    result = run_cli("plan")
    assert result.code == 1
    assert "reconcile.yaml:2:1: error: unknown key 'namespace'" in result.stderr
    Path("reconcile.yaml").write_text("namespaces: [local, acme/demo]\n")
    result = run_cli("drift")
    assert result.code == 1 and "reconcile.yaml:1:21: error: not a namespace: 'acme/demo'" in result.stderr
    assert "Traceback" not in result.output
