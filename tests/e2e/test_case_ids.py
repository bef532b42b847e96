"""Hub ids ignore case end to end: a manifest naming `Local/Case-Demo` updates the Hub's
`local/case-demo`, and parallel creates by one user never meet the Hub's 409 (hub-contract §13)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reconciler.localhub import LocalHub
from tests.e2e.conftest import repository, run_cli
from tests.localhub.hubtools import admin

SPACE = """\
apiVersion: spaces-reconciler/v1
kind: Space
metadata: {{namespace: {namespace}, name: {name}}}
spec:
  sdk: docker
  variables: {{MODE: "{mode}"}}
  source: {{path: ../app}}
"""


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return repository(tmp_path / "repo", monkeypatch, {"app/Dockerfile": "FROM python:3.12\n"})


def _write(repo: Path, *spaces: tuple[str, str, str]) -> None:
    text = "---\n".join(SPACE.format(namespace=ns, name=name, mode=mode) for ns, name, mode in spaces)
    (repo / "manifests" / "spaces.yaml").write_text(text)


def test_a_manifest_in_other_case_updates_the_existing_space(hub: LocalHub, repo: Path) -> None:
    _write(repo, ("local", "case-demo", "a"))
    assert run_cli("apply", "--auto-approve", "--timeout", "60s", "manifests").code == 0
    _write(repo, ("Local", "Case-Demo", "b"))
    result = run_cli("plan", "--format", "json", "manifests")
    (entry,) = json.loads(result.stdout)["spaces"]
    assert (entry["id"], entry["action"]) == ("Local/Case-Demo", "update")
    assert [c["path"] for c in entry["changes"]] == ["spec.variables.MODE"]
    # the generated README's title follows the manifest's spelling: a one-file upload, no create
    assert [f["path"] for f in entry["files"]["modified"]] == ["README.md"] and entry["files"]["added"] == []
    assert run_cli("apply", "--auto-approve", "--timeout", "60s", "manifests").code == 0
    assert json.loads(run_cli("plan", "--format", "json", "manifests").stdout)["spaces"][0]["rung"] == "none"


def test_the_same_space_in_two_cases_is_a_duplicate(repo: Path) -> None:
    _write(repo, ("local", "twice", "a"), ("Local", "TWICE", "b"))
    result = run_cli("validate", "manifests")
    assert result.code == 1
    assert "duplicate Space id" in result.output and "Hub ids ignore case" in result.output


def test_parallel_creates_are_made_one_at_a_time(hub: LocalHub, repo: Path) -> None:
    _write(repo, *[("local", f"many-{i}", "a") for i in range(6)])
    assert run_cli("apply", "--auto-approve", "--parallelism", "6", "--timeout", "60s", "manifests").code == 0
    stats = admin(hub, "GET", "stats")["by_route"]
    assert stats["POST /api/repos/create"] == 6  # no 409 "conflicting operation" re-POSTs
