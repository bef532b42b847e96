"""Checks on the local Hub's own state (read from its store, not through the client under test)."""

from __future__ import annotations

from collections.abc import Iterable

from reconciler.localhub import LocalHub
from tests.conftest import CANARY, FILE_CANARY


def commit_counts(hub: LocalHub, ids: Iterable[str]) -> dict[str, int]:
    with hub.store.lock:
        return {space_id: len(_repo(hub, space_id).commits) for space_id in ids}


def _repo(hub: LocalHub, space_id: str):  # type: ignore[no-untyped-def]
    repo = hub.store.get("space", space_id)
    assert repo is not None, f"{space_id} does not exist on the local Hub"
    return repo


def problems(hub: LocalHub, ids: Iterable[str], version: str) -> list[str]:
    """Every way the Hub differs from the fleet at `version` (see helpers.write_fleet)."""
    found = []
    expected_secrets = {
        "API_TOKEN": hub.store.secret_digest(CANARY),
        "KEY_FILE": hub.store.secret_digest(FILE_CANARY),  # the file's content, one newline less
    }
    with hub.store.lock:
        for space_id in ids:
            repo = hub.store.get("space", space_id)
            if repo is None:
                found.append(f"{space_id}: missing")
                continue
            index = space_id.rsplit("-", 1)[1]
            variables = {key: entry["value"] for key, entry in repo.variables.items()}
            if variables != {"INDEX": index, "VERSION": version}:
                found.append(f"{space_id}: variables {variables}")
            secrets = {key: entry.get("hmac") for key, entry in repo.secrets.items()}
            if secrets != expected_secrets:
                found.append(f"{space_id}: secrets {sorted(secrets)} (or a wrong value)")
            app = hub.store.read_file(repo.tree, "app.py") if "app.py" in repo.tree else b""
            if f"VERSION = {version!r}".encode() not in app:
                found.append(f"{space_id}: app.py is not version {version}")
    return found
