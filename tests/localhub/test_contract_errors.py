"""Error behaviour: the client's exception types come from the local Hub's status codes and
``X-Error-Code`` headers (hub-contract.md 0.1), and a rejected write changes nothing."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import httpx2
import pytest
from huggingface_hub import CommitOperationAdd, CommitOperationDelete, hf_hub_download
from huggingface_hub.errors import (
    BadRequestError,
    HfHubHTTPError,
    RemoteEntryNotFoundError,
    RepositoryNotFoundError,
    RevisionNotFoundError,
)
from huggingface_hub.utils import hf_raise_for_status

from .hubtools import LOCAL_ORG, LOCAL_USER, add_token, api, make_gradio_space

SPACE = f"{LOCAL_USER}/err"


def _snapshot(client: Any, repo_id: str = SPACE) -> tuple[str, list[str], int]:
    files = sorted(client.list_repo_files(repo_id, repo_type="space"))
    return client.space_info(repo_id).sha, files, len(client.list_repo_commits(repo_id, repo_type="space"))


def _raw(hub: Any, method: str, path: str, *, token: str | None = None, **kwargs: Any) -> httpx2.Response:
    headers = kwargs.pop("headers", {})
    headers["authorization"] = f"Bearer {token or hub.token}"
    with httpx2.Client(timeout=30) as c:
        return c.request(method, hub.endpoint + path, headers=headers, **kwargs)


def _ndjson(*lines: Any) -> bytes:
    return b"".join(json.dumps(line).encode() + b"\n" for line in lines)


def _header(summary: str = "msg") -> dict[str, Any]:
    return {"key": "header", "value": {"summary": summary, "description": ""}}


def _file(path: str, content: bytes = b"x\n") -> dict[str, Any]:
    return {"key": "file", "value": {"content": base64.b64encode(content).decode(), "path": path, "encoding": "base64"}}


def _client_error(response: httpx2.Response) -> BaseException:
    """The exception the real client raises for this response."""
    with pytest.raises(HfHubHTTPError) as exc:
        hf_raise_for_status(response)
    return exc.value


# --- RepositoryNotFoundError -------------------------------------------------------------


def test_missing_repo_raises_repository_not_found(local_hub: Any, tmp_path: Path) -> None:
    client = api(local_hub)
    missing = f"{LOCAL_USER}/missing"
    for call in (
        lambda: client.space_info(missing),
        lambda: client.get_space_runtime(missing),
        lambda: client.get_space_variables(missing),
        lambda: client.list_repo_commits(missing, repo_type="space"),
        lambda: list(client.list_repo_tree(missing, repo_type="space")),
        lambda: client.auth_check(missing, repo_type="space"),
        lambda: client.add_space_secret(missing, "K", "v"),
    ):
        with pytest.raises(RepositoryNotFoundError):
            call()
    with pytest.raises(RepositoryNotFoundError, match="create_repo"):
        client.create_commit(
            missing,
            [CommitOperationAdd(path_in_repo="a.txt", path_or_fileobj=b"a\n")],
            commit_message="x",
            repo_type="space",
        )
    with pytest.raises(RepositoryNotFoundError):
        hf_hub_download(missing, "a.txt", repo_type="space", endpoint=local_hub.endpoint, token=local_hub.token,
                        cache_dir=tmp_path / "c")  # fmt: skip
    r = _raw(local_hub, "GET", f"/api/spaces/{missing}")
    assert r.status_code == 404 and r.headers["x-error-code"] == "RepoNotFound"
    assert isinstance(r.json()["error"], str)


def test_private_space_of_someone_else_is_not_found(local_hub: Any) -> None:
    client = api(local_hub)
    client.create_repo(SPACE, repo_type="space", space_sdk="static", private=True)
    other = api(local_hub, add_token(local_hub, "hf_other_user_write_00001", "other", "write"))
    with pytest.raises(RepositoryNotFoundError):
        other.space_info(SPACE)
    with pytest.raises(RepositoryNotFoundError):
        other.get_space_runtime(SPACE)
    assert not other.repo_exists(SPACE, repo_type="space")
    anonymous = api(local_hub, token=False)
    with pytest.raises(RepositoryNotFoundError):
        anonymous.space_info(SPACE)
    assert not anonymous.repo_exists(SPACE, repo_type="space")


# --- RevisionNotFoundError / RemoteEntryNotFoundError ------------------------------------


def test_bad_revision_raises_revision_not_found(local_hub: Any, tmp_path: Path) -> None:
    client = api(local_hub)
    make_gradio_space(client, SPACE)
    with pytest.raises(RevisionNotFoundError):
        hf_hub_download(SPACE, "app.py", repo_type="space", revision="no-such-branch",
                        endpoint=local_hub.endpoint, token=local_hub.token, cache_dir=tmp_path / "c")  # fmt: skip
    with pytest.raises(RevisionNotFoundError):
        list(client.list_repo_tree(SPACE, repo_type="space", revision="no-such-branch"))
    with pytest.raises(RevisionNotFoundError):
        client.space_info(SPACE, revision="f" * 40)
    with pytest.raises(RevisionNotFoundError):
        client.list_repo_commits(SPACE, repo_type="space", revision="no-such-branch")


def test_missing_file_raises_remote_entry_not_found(local_hub: Any, tmp_path: Path) -> None:
    client = api(local_hub)
    make_gradio_space(client, SPACE)
    before = _snapshot(client)
    with pytest.raises(RemoteEntryNotFoundError):
        hf_hub_download(SPACE, "nope.txt", repo_type="space", endpoint=local_hub.endpoint,
                        token=local_hub.token, cache_dir=tmp_path / "c")  # fmt: skip
    with pytest.raises(RemoteEntryNotFoundError, match="doesn't exist"):
        client.delete_file("nope.txt", SPACE, repo_type="space")
    with pytest.raises(RemoteEntryNotFoundError):
        list(client.list_repo_tree(SPACE, path_in_repo="no/such dir", repo_type="space"))
    # The 404 on resolve carries X-Repo-Commit so the client can cache the absence.
    with httpx2.Client(timeout=10) as c:
        head = c.head(f"{local_hub.endpoint}/spaces/{SPACE}/resolve/main/nope.txt",
                      headers={"authorization": f"Bearer {local_hub.token}"})  # fmt: skip
    assert head.status_code == 404 and head.headers["x-error-code"] == "EntryNotFound"
    assert head.headers["x-repo-commit"] == before[0]
    assert _snapshot(client) == before


def test_deleting_missing_folder_is_entry_not_found_and_changes_nothing(local_hub: Any) -> None:
    client = api(local_hub)
    make_gradio_space(client, SPACE)
    before = _snapshot(client)
    with pytest.raises(RemoteEntryNotFoundError):
        client.create_commit(
            SPACE,
            [
                CommitOperationAdd(path_in_repo="added.txt", path_or_fileobj=b"a\n"),
                CommitOperationDelete(path_in_repo="ghost/"),
            ],
            commit_message="half",
            repo_type="space",
        )
    assert _snapshot(client) == before


# --- 412 on a stale parent commit ---------------------------------------------------------


def test_stale_parent_commit_is_412_and_changes_nothing(local_hub: Any) -> None:
    client = api(local_hub)
    stale = make_gradio_space(client, SPACE)
    client.upload_file(path_or_fileobj=b"moved on\n", path_in_repo="other.txt", repo_id=SPACE, repo_type="space")
    before = _snapshot(client)
    with pytest.raises(HfHubHTTPError) as exc:
        client.create_commit(
            SPACE,
            [CommitOperationAdd(path_in_repo="late.txt", path_or_fileobj=b"late\n")],
            commit_message="late",
            parent_commit=stale,
            repo_type="space",
        )
    assert exc.value.response.status_code == 412
    assert type(exc.value) is HfHubHTTPError
    assert "branch was updated" in str(exc.value)
    assert _snapshot(client) == before


# --- 401 / 403 -------------------------------------------------------------------------------


def test_invalid_or_missing_token_is_401(local_hub: Any) -> None:
    bad = api(local_hub, "hf_this_token_does_not_exist_1")
    with pytest.raises(HfHubHTTPError) as exc:
        bad.whoami()
    assert exc.value.response.status_code == 401
    with pytest.raises(HfHubHTTPError) as exc:
        bad.create_repo(f"{LOCAL_USER}/x", repo_type="space", space_sdk="static")
    assert exc.value.response.status_code == 401
    r = _raw(local_hub, "POST", "/api/repos/create", token="nope",
             json={"name": "x", "organization": LOCAL_USER, "type": "space", "sdk": "static"})  # fmt: skip
    assert r.status_code == 401 and "error" in r.json()
    with httpx2.Client(timeout=10) as c:
        r = c.get(f"{local_hub.endpoint}/api/whoami-v2")
    assert r.status_code == 401


def test_read_token_cannot_write(local_hub: Any) -> None:
    client = api(local_hub)
    make_gradio_space(client, SPACE)
    before = _snapshot(client)
    read_token = add_token(local_hub, "hf_local_read_only_000001", LOCAL_USER, "read", orgs=[LOCAL_ORG])
    reader = api(local_hub, read_token)
    assert reader.space_info(SPACE).sha == before[0]  # reading is fine
    writes = [
        lambda: reader.create_repo(f"{LOCAL_USER}/by-reader", repo_type="space", space_sdk="static"),
        lambda: reader.upload_file(path_or_fileobj=b"x", path_in_repo="x.txt", repo_id=SPACE, repo_type="space"),
        lambda: reader.add_space_secret(SPACE, "K", "v"),
        lambda: reader.add_space_variable(SPACE, "K", "v"),
        lambda: reader.request_space_hardware(SPACE, "t4-small"),
        lambda: reader.restart_space(SPACE),
        lambda: reader.delete_repo(SPACE, repo_type="space"),
        lambda: reader.auth_check(SPACE, repo_type="space", write=True),
    ]
    for write in writes:
        with pytest.raises(HfHubHTTPError) as exc:
            write()
        assert exc.value.response.status_code == 403, exc.value
    assert _snapshot(client) == before
    assert client.get_space_variables(SPACE) == {}
    assert client.get_space_secrets(SPACE) == {}


def test_other_org_cannot_write_but_members_can(local_hub: Any) -> None:
    client = api(local_hub)
    org_space = f"{LOCAL_ORG}/shared"
    make_gradio_space(client, org_space)
    member = api(local_hub, add_token(local_hub, "hf_member_write_000000001", "member", "write", [LOCAL_ORG]))
    member.add_space_variable(org_space, "BY", "member")
    outsider = api(local_hub, add_token(local_hub, "hf_outsider_write_0000001", "outsider", "write", ["elsewhere"]))
    with pytest.raises(HfHubHTTPError) as exc:
        outsider.add_space_variable(org_space, "BY", "outsider")
    assert exc.value.response.status_code == 403
    with pytest.raises(HfHubHTTPError) as exc:
        outsider.create_repo(f"{LOCAL_ORG}/intruder", repo_type="space", space_sdk="static")
    assert exc.value.response.status_code == 403
    assert client.get_space_variables(org_space)["BY"].value == "member"


# --- malformed requests: 4xx in the Hub's format, never a 5xx -------------------------------


def test_bad_request_errors_through_the_client(local_hub: Any) -> None:
    client = api(local_hub)
    # The client refuses an unknown SDK itself; the Hub must too.
    r = _raw(local_hub, "POST", "/api/repos/create",
             json={"name": "bad-sdk", "organization": LOCAL_USER, "type": "space", "sdk": "cobol"})  # fmt: skip
    assert r.status_code == 400
    assert isinstance(_client_error(r), BadRequestError)
    assert not client.repo_exists(f"{LOCAL_USER}/bad-sdk", repo_type="space")
    client.create_repo(SPACE, repo_type="space", space_sdk="gradio")
    with pytest.raises(BadRequestError):
        client.request_space_hardware(SPACE, "quantum-xl")  # type: ignore[arg-type]
    assert client.get_space_runtime(SPACE).requested_hardware == "cpu-basic"
    with pytest.raises(BadRequestError):
        client.create_repo(f"{LOCAL_USER}/bad-hw", repo_type="space", space_sdk="gradio", space_hardware="nope")  # type: ignore[arg-type]
    assert not client.repo_exists(f"{LOCAL_USER}/bad-hw", repo_type="space")


@pytest.mark.parametrize(
    ("label", "method", "path", "kwargs"),
    [
        (
            "bad json",
            "POST",
            "/api/repos/create",
            {"content": b"{not json", "headers": {"content-type": "application/json"}},
        ),
        ("json not an object", "POST", "/api/repos/create", {"json": ["a"]}),
        ("missing name", "POST", "/api/repos/create", {"json": {"type": "space", "sdk": "gradio"}}),
        ("bad repo name", "POST", "/api/repos/create", {"json": {"name": "a/b/c", "type": "space", "sdk": "gradio"}}),
        ("bad variable body", "POST", f"/api/spaces/{SPACE}/variables", {"json": {"value": "no key"}}),
        (
            "bad secret body",
            "POST",
            f"/api/spaces/{SPACE}/secrets",
            {"content": b"[1,", "headers": {"content-type": "application/json"}},
        ),
        ("bad sleep time", "POST", f"/api/spaces/{SPACE}/sleeptime", {"json": {"seconds": "soon"}}),
        ("bad dev mode", "POST", f"/api/spaces/{SPACE}/dev-mode", {"json": {"enabled": "maybe"}}),
        ("bad volumes", "PUT", f"/api/spaces/{SPACE}/volumes", {"json": {"volumes": [{"type": "bucket"}]}}),
        ("bad preupload", "POST", f"/api/spaces/{SPACE}/preupload/main", {"json": {"files": "nope"}}),
        ("bad settings", "PUT", f"/api/spaces/{SPACE}/settings", {"json": {"visibility": "secret"}}),
    ],
)
def test_malformed_json_requests_are_4xx_in_hub_format(
    local_hub: Any, label: str, method: str, path: str, kwargs: dict[str, Any]
) -> None:
    client = api(local_hub)
    make_gradio_space(client, SPACE)
    before = _snapshot(client)
    runtime_before = client.get_space_runtime(SPACE).raw
    r = _raw(local_hub, method, path, **kwargs)
    assert 400 <= r.status_code < 500, f"{label}: {r.status_code} {r.text}"
    assert isinstance(r.json().get("error"), str), f"{label}: {r.text}"
    err = _client_error(r)
    assert err.response.status_code == r.status_code  # type: ignore[attr-defined]
    assert _snapshot(client) == before
    assert client.get_space_runtime(SPACE).raw == runtime_before
    assert client.get_space_variables(SPACE) == {}


COMMIT_CASES: list[tuple[str, bytes]] = [
    ("not ndjson", b"this is not json\n"),
    ("no header", _ndjson(_file("a.txt"))),
    ("parent traversal", _ndjson(_header(), _file("../escape.txt"))),
    ("nested traversal", _ndjson(_header(), _file("ok.txt"), _file("a/../../escape.txt"))),
    ("absolute path", _ndjson(_header(), _file("/etc/passwd"))),
    ("git dir", _ndjson(_header(), _file(".git/config"))),
    (
        "bad base64",
        _ndjson(_header(), {"key": "file", "value": {"content": "%%%", "path": "a.txt", "encoding": "base64"}}),
    ),
    ("unknown key", _ndjson(_header(), {"key": "symlink", "value": {"path": "a.txt"}})),
    ("missing path", _ndjson(_header(), {"key": "file", "value": {"content": "eA==", "encoding": "base64"}})),
    ("bad parent", _ndjson({"key": "header", "value": {"summary": "m", "parentCommit": "not-a-sha"}}, _file("a.txt"))),
    ("truncated line", _ndjson(_header(), _file("ok.txt"))[:-20]),
]


@pytest.mark.parametrize(("label", "body"), COMMIT_CASES, ids=[c[0] for c in COMMIT_CASES])
def test_malformed_commits_are_rejected_atomically(local_hub: Any, label: str, body: bytes) -> None:
    client = api(local_hub)
    make_gradio_space(client, SPACE)
    before = _snapshot(client)
    r = _raw(local_hub, "POST", f"/api/spaces/{SPACE}/commit/main", content=body,
             headers={"content-type": "application/x-ndjson"})  # fmt: skip
    assert 400 <= r.status_code < 500, f"{label}: {r.status_code} {r.text}"
    assert isinstance(r.json().get("error"), str), r.text
    if r.status_code == 400:
        assert isinstance(_client_error(r), BadRequestError)
    assert _snapshot(client) == before
    assert "escape.txt" not in str(before) and not client.file_exists(SPACE, "escape.txt", repo_type="space")


def test_oversized_body_is_413_not_a_crash(local_hub: Any) -> None:
    from reconciler.localhub.server import MAX_BODY

    client = api(local_hub)
    make_gradio_space(client, SPACE)
    before = _snapshot(client)
    size = MAX_BODY + 1024 * 1024

    def chunks() -> Any:  # streamed lazily: nothing this big is ever held in memory
        chunk = b"x" * (1024 * 1024)
        for _ in range(size // len(chunk)):
            yield chunk

    answered: list[int] = []
    for path, ctype in ((f"/api/spaces/{SPACE}/variables", "application/json"),
                        (f"/api/spaces/{SPACE}/commit/main", "application/x-ndjson")):  # fmt: skip
        try:
            r = _raw(local_hub, "POST", path, content=chunks(),
                     headers={"content-type": ctype, "content-length": str(size)})  # fmt: skip
        except httpx2.TransportError:
            pass  # the server may close the connection while the client is still sending
        else:
            assert r.status_code == 413, (r.status_code, r.text[:200])
            assert "error" in r.json()
            answered.append(r.status_code)
    assert answered, "the oversized bodies never got an answer"
    assert _snapshot(client) == before
    assert client.whoami()["name"] == LOCAL_USER
