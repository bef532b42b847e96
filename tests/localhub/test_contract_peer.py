"""Behaviours found by running huggingface_hub's own tests against the local Hub, and repo ids
that ignore case (hub-contract §0.1, §2, §13), through the real client."""

from __future__ import annotations

import threading

import httpx2
import pytest
from huggingface_hub import CommitOperationAdd, CommitOperationDelete
from huggingface_hub.errors import HfHubHTTPError, RepositoryNotFoundError

from reconciler.localhub import LocalHub
from tests.localhub.hubtools import admin, api, switch


def test_ids_without_a_namespace_are_repo_not_found(local_hub: LocalHub) -> None:
    client = api(local_hub)
    assert client.repo_exists("demo", repo_type="space") is False
    assert client.repo_exists("gpt2") is False
    assert client.file_exists("gpt2", "config.json") is False
    with pytest.raises(RepositoryNotFoundError):
        client.list_repo_files("demo", repo_type="space")


def test_repo_not_found_names_the_id_once(local_hub: LocalHub) -> None:
    with pytest.raises(RepositoryNotFoundError) as missing:
        api(local_hub).space_info("local/nowhere-to-be-found")
    assert str(missing.value).count("nowhere-to-be-found") == 1, str(missing.value)
    response = missing.value.response
    assert response.headers["X-Error-Code"] == "RepoNotFound"


def test_deleted_file_naming_a_folder_deletes_the_folder(local_hub: LocalHub) -> None:
    client = api(local_hub)
    client.create_repo("local/tree", repo_type="space", space_sdk="docker")
    adds = [CommitOperationAdd(path_in_repo=p, path_or_fileobj=b"x") for p in ("src/a.py", "src/b/c.py", "keep.py")]
    client.create_commit("local/tree", adds, commit_message="files", repo_type="space")
    gone = [CommitOperationDelete(path_in_repo="src", is_folder=False)]
    client.create_commit("local/tree", gone, commit_message="drop src", repo_type="space")
    assert set(client.list_repo_files("local/tree", repo_type="space")) == {".gitattributes", "README.md", "keep.py"}


def test_moving_onto_an_existing_repo_answers_the_hubs_message(local_hub: LocalHub) -> None:
    client = api(local_hub)
    for name in ("one", "two"):
        client.create_repo(f"local/{name}", repo_type="space", space_sdk="docker")
    # huggingface_hub tests/test_hf_api.py test_move_repo_target_already_exists
    with pytest.raises(HfHubHTTPError, match=r"A space repository called .* already exists"):
        client.move_repo("local/one", "local/two", repo_type="space")


@pytest.mark.parametrize("name", ["_private", "under_", "_"])
def test_names_may_start_or_end_with_an_underscore(local_hub: LocalHub, name: str) -> None:
    # huggingface_hub validate_repo_id: "cannot start or end with '-' or '.'" (after the Hub's Names.ts)
    client = api(local_hub)
    client.create_repo(f"local/{name}", repo_type="space", space_sdk="docker")
    assert client.repo_exists(f"local/{name}", repo_type="space")


@pytest.mark.parametrize("name", ["-dash", "dot.", ".dot"])
def test_names_may_not_start_or_end_with_dash_or_dot(local_hub: LocalHub, name: str) -> None:
    response = httpx2.post(
        f"{local_hub.endpoint}/api/repos/create",
        json={"name": name, "organization": "local", "type": "space", "sdk": "docker"},
        headers={"authorization": f"Bearer {local_hub.token}"},
    )
    assert response.status_code == 400


def test_ids_ignore_case_and_keep_the_case_they_were_created_with(local_hub: LocalHub) -> None:
    client = api(local_hub)
    client.create_repo("local/Demo", repo_type="space", space_sdk="docker")
    assert client.space_info("local/DEMO").id == "local/Demo"
    assert client.space_info("Local/demo").id == "local/Demo"
    with pytest.raises(HfHubHTTPError) as taken:
        client.create_repo("local/demo", repo_type="space", space_sdk="docker")
    assert taken.value.response.status_code == 409
    url = client.create_repo("local/demo", repo_type="space", space_sdk="docker", exist_ok=True)
    assert url.repo_id == "local/Demo"
    (listed,) = client.list_spaces(author="LOCAL")
    assert listed.id == "local/Demo"


def test_overlapping_creates_by_one_user_conflict_until_the_first_ends(local_hub: LocalHub) -> None:
    """While one create is in flight, another create by the same user answers 409 "another
    conflicting operation is in progress"; huggingface_hub's create_repo re-POSTs until it passes."""
    admin(local_hub, "POST", "faults", {"latency_ms": 300})
    headers = {"authorization": f"Bearer {local_hub.token}"}
    start = threading.Barrier(2)
    answers: dict[str, httpx2.Response] = {}

    def create(name: str) -> None:
        body = {"name": name, "organization": "local", "type": "space", "sdk": "docker"}
        start.wait()
        answers[name] = httpx2.post(f"{local_hub.endpoint}/api/repos/create", json=body, headers=headers, timeout=30)

    threads = [threading.Thread(target=create, args=(name,)) for name in ("a", "b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    statuses = sorted(r.status_code for r in answers.values())
    assert statuses == [200, 409]
    refused = next(r for r in answers.values() if r.status_code == 409)
    assert "Cannot create repo: another conflicting operation is in progress" in refused.text
    # The real client, twice at once: its own loop gets both through.
    names = ["c", "d"]
    workers = [
        threading.Thread(
            target=lambda n=n: api(local_hub).create_repo(f"local/{n}", repo_type="space", space_sdk="docker")
        )
        for n in names
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert all(api(local_hub).repo_exists(f"local/{n}", repo_type="space") for n in names)


def test_case_sensitive_ids_switched(local_hub: LocalHub) -> None:
    switch(local_hub, case_insensitive_ids=False)
    client = api(local_hub)
    client.create_repo("local/Demo", repo_type="space", space_sdk="docker")
    assert client.repo_exists("local/demo", repo_type="space") is False
    client.create_repo("local/demo", repo_type="space", space_sdk="docker")


def test_concurrent_create_conflicts_switched_off(local_hub: LocalHub) -> None:
    switch(local_hub, concurrent_create_conflicts=False)
    admin(local_hub, "POST", "faults", {"latency_ms": 300})
    headers = {"authorization": f"Bearer {local_hub.token}"}
    start = threading.Barrier(2)
    statuses: list[int] = []

    def create(name: str) -> None:
        body = {"name": name, "organization": "local", "type": "space", "sdk": "docker"}
        start.wait()
        response = httpx2.post(f"{local_hub.endpoint}/api/repos/create", json=body, headers=headers, timeout=30)
        statuses.append(response.status_code)

    threads = [threading.Thread(target=create, args=(name,)) for name in ("a", "b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [200, 200]
