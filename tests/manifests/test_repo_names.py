"""Namespace and repository names: accepted exactly when the Hub accepts them.

The Hub's rule as huggingface_hub states it (utils/_validators.py validate_repo_id, which
mirrors the Hub's internal validation); a refused name is reported at FILE:LINE:COL."""

from __future__ import annotations

from pathlib import Path

import pytest
from huggingface_hub.utils import HFValidationError, validate_repo_id
from hypothesis import given
from hypothesis import strategies as st

from reconciler.manifests import load_manifests
from reconciler.manifests.checks import repo_part_problem


def _client_accepts(repo_id: str) -> bool:
    try:
        validate_repo_id(repo_id)
    except HFValidationError:
        return False
    return True


@given(st.text(alphabet="aZ09_.-é", min_size=1, max_size=98))
def test_names_are_checked_as_the_client_checks_them(name: str) -> None:
    accepted = repo_part_problem(name) is None
    assert accepted == _client_accepts(f"acme/{name}") == _client_accepts(f"{name}/demo")


@pytest.mark.parametrize("name", ["_private", "under_", "_", "a_b.c-d", "x" * 96])
def test_names_the_hub_accepts(name: str) -> None:
    assert _client_accepts(f"acme/{name}") and repo_part_problem(name) is None


@pytest.mark.parametrize("name", ["-dash", "dash-", ".dot", "dot.", "a--b", "a..b", "demo.git", "x" * 97, "café"])
def test_names_the_hub_refuses(name: str) -> None:
    assert not _client_accepts(f"acme/{name}") and repo_part_problem(name) is not None


def _load(tmp_path: Path, metadata: str, volume_source: str = "acme/weights") -> list[str]:
    (tmp_path / ".git").mkdir(exist_ok=True)
    (tmp_path / "app").mkdir(exist_ok=True)
    (tmp_path / "app" / "Dockerfile").write_text("FROM python:3.12\n")
    manifest = tmp_path / "m.yaml"
    manifest.write_text(
        "apiVersion: spaces-reconciler/v1\nkind: Space\n"
        f"metadata: {metadata}\n"
        "spec:\n  sdk: docker\n  source: {path: app}\n"
        f"  volumes: [{{type: model, source: {volume_source}, mountPath: /w}}]\n"
    )
    result = load_manifests([manifest], repo_root=tmp_path)
    return [str(d) for d in result.errors]


def test_a_manifest_may_name_what_the_hub_accepts(tmp_path: Path) -> None:
    assert _load(tmp_path, "{namespace: _team, name: _private}", volume_source="_team/_weights") == []


def test_a_refused_name_is_reported_where_it_is_written(tmp_path: Path) -> None:
    (name, source) = _load(tmp_path, "{namespace: acme, name: .hidden}", volume_source="acme/w.git")
    assert name.endswith(
        "m.yaml:3:35: error: metadata.name '.hidden' must be 1-96 letters, digits, '-', '_' or '.', "
        "start and end with a letter, digit or '_', no '--' or '..', not ending in '.git'"
    ), name
    assert source.endswith(
        "m.yaml:7:35: error: volume source 'acme/w.git' must be a repository or bucket id like acme/data"
    )
