"""The local Hub's state folder, read back from disk after writes through the real ``HfApi``:
nothing in it gives a secret value away, and nothing in it is open to other local users."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from huggingface_hub import CommitOperationAdd, constants

from reconciler.localhub import LocalHub
from tests.conftest import SPECIAL_CANARY

from .hubtools import LOCAL_ORG, LOCAL_USER, add_token, admin, advance, api, make_gradio_space
from .test_lfs import png
from .test_lfs_default_client import xet_client  # noqa: F401 (a fixture: hf_xet on, its cache in tmp_path)

SPACE = f"{LOCAL_ORG}/atk"
WEAK = "letmein-ä1"  # a dictionary word: an unkeyed hash of it is as good as the value


def state_files(root: Path) -> Iterator[Path]:
    return (path for path in sorted(root.rglob("*")) if path.is_file())


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def forms(value: str) -> dict[str, bytes]:
    """Every way `value` could sit in a file: as text, JSON-escaped, base64, or its unkeyed sha256."""
    raw = value.encode("utf-8")
    digest = hashlib.sha256(raw)
    return {
        "utf-8": raw,
        "json": json.dumps(value)[1:-1].encode(),
        "json, non-ASCII kept": json.dumps(value, ensure_ascii=False)[1:-1].encode(),
        "base64": base64.b64encode(raw),
        "base64url": base64.urlsafe_b64encode(raw),
        "sha256 hex": digest.hexdigest().encode(),
        "sha256 HEX": digest.hexdigest().upper().encode(),
        "sha256 base64": base64.b64encode(digest.digest()),
        "sha256 bytes": digest.digest(),
    }


def stored_digest(state: Path, key: str) -> str:
    """The digest of secret `key` of SPACE, as the repo's JSON on disk holds it."""
    namespace, name = SPACE.split("/")
    repo = json.loads((state / "repos" / "spaces" / namespace / f"{name}.json").read_text(encoding="utf-8"))
    digest: str = repo["secrets"][key]["hmac"]
    return digest


def test_no_state_file_holds_a_secret_value_or_its_plain_digest(local_hub: LocalHub) -> None:
    client = api(local_hub)
    client.create_repo(
        SPACE, repo_type="space", space_sdk="gradio", private=True, space_secrets=[{"key": "AT_CREATE", "value": WEAK}]
    )
    client.add_space_secret(SPACE, "DBPASS", SPECIAL_CANARY, description="database")
    client.add_space_secret(SPACE, "WEAK", WEAK)
    client.add_space_secret(SPACE, "WEAK", WEAK)  # the same value again
    assert set(client.get_space_secrets(SPACE)) == {"AT_CREATE", "DBPASS", "WEAK"}
    found = [
        f"{path.relative_to(local_hub.store.root)}: {form} of {value!r}"
        for path in state_files(local_hub.store.root)
        for value in (SPECIAL_CANARY, WEAK)
        for form, needle in forms(value).items()
        if needle in path.read_bytes()
    ]
    assert not found


@pytest.mark.parametrize("umask", [0o022, 0o000], ids=["umask-022", "umask-000"])
@pytest.mark.usefixtures("xet_client")
def test_every_state_file_is_0600_and_every_folder_0700_whatever_the_umask(
    tmp_path: Path, umask: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    state = tmp_path / "state"
    previous = os.umask(umask)
    try:
        with LocalHub(state) as hub:
            client = api(hub)
            make_gradio_space(client, SPACE, private=True, extra_files={"media/cat.png": png(1)})  # through Xet
            monkeypatch.setattr(constants, "HF_HUB_DISABLE_XET", True)
            client.create_commit(
                SPACE,
                [CommitOperationAdd("media/dog.png", png(2)), CommitOperationAdd("notes.txt", b"notes\n")],
                commit_message="more",
                repo_type="space",
            )  # dog.png through the LFS batch API
            hub.store.upload_policy.multipart_threshold = 1024 * 1024
            hub.store.upload_policy.multipart_chunk_size = 300 * 1024
            client.upload_file(
                path_or_fileobj=os.urandom(1200 * 1024), path_in_repo="big.bin", repo_id=SPACE, repo_type="space"
            )  # multipart
            client.add_space_secret(SPACE, "DBPASS", WEAK)
            client.add_space_variable(SPACE, "MODE", "prod")
            client.create_bucket(f"{LOCAL_USER}/store", private=True)
            add_token(hub, "hf_second", LOCAL_USER, "read")
            admin(hub, "POST", f"accounts/{LOCAL_ORG}", {"plan": "enterprise"})
            advance(hub, 60)
    finally:
        os.umask(previous)
    folders = [state, *(path for path in state.rglob("*") if path.is_dir())]
    files = list(state_files(state))
    for expected in ("repos/spaces/local-org/atk.json", "events.jsonl", "clock.json", "accounts.json", "buckets.json"):
        assert state / expected in files, expected
    assert any(path.parent.parent.name == "lfs" for path in files) and (state / "cas").is_dir()
    loose = [f"{path}: {oct(mode(path))}" for path in folders if mode(path) != 0o700]
    loose += [f"{path}: {oct(mode(path))}" for path in files if mode(path) != 0o600]
    assert not loose


def test_a_state_folder_left_open_is_closed_on_open(tmp_path: Path) -> None:
    state = tmp_path / "state"
    state.mkdir(mode=0o755)
    state.chmod(0o755)
    LocalHub(state)
    assert mode(state) == 0o700


def test_the_keyed_digest_tells_a_changed_value_from_the_same_one_across_restarts(tmp_path: Path) -> None:
    state = tmp_path / "state"
    with LocalHub(state) as hub:
        client = api(hub)
        client.create_repo(SPACE, repo_type="space", space_sdk="gradio", private=True)
        client.add_space_secret(SPACE, "DBPASS", WEAK)
        first = stored_digest(state, "DBPASS")
        assert first == hub.store.secret_digest(WEAK) != hub.store.secret_digest(WEAK + "2")
    with LocalHub(state) as hub:  # a restart reads the same key
        assert hub.store.secret_digest(WEAK) == first
        client = api(hub)
        client.add_space_secret(SPACE, "DBPASS", WEAK)
        assert stored_digest(state, "DBPASS") == first
        client.add_space_secret(SPACE, "DBPASS", WEAK + "2")
        assert stored_digest(state, "DBPASS") == hub.store.secret_digest(WEAK + "2") != first
    # Another state folder has its own key: a digest says nothing outside its folder.
    assert LocalHub(tmp_path / "other").store.secret_digest(WEAK) != first


def test_an_unkeyed_digest_of_an_older_version_is_dropped(tmp_path: Path) -> None:
    state = tmp_path / "state"
    with LocalHub(state) as hub:
        client = api(hub)
        client.create_repo(SPACE, repo_type="space", space_sdk="gradio")
        client.add_space_secret(SPACE, "DBPASS", WEAK, description="database")
    # The entry as an older version wrote it: the unkeyed sha256 of the value.
    path = state / "repos" / "spaces" / LOCAL_ORG / "atk.json"
    repo = json.loads(path.read_text(encoding="utf-8"))
    entry = repo["secrets"]["DBPASS"]
    entry["sha256"] = hashlib.sha256(WEAK.encode()).hexdigest()
    del entry["hmac"]
    path.write_text(json.dumps(repo), encoding="utf-8")
    with LocalHub(state) as hub:
        assert hashlib.sha256(WEAK.encode()).hexdigest().encode() not in path.read_bytes()
        assert api(hub).get_space_secrets(SPACE)["DBPASS"].description == "database"  # the key and its metadata stay
        api(hub).add_space_secret(SPACE, "DBPASS", WEAK)
        assert stored_digest(state, "DBPASS") == hub.store.secret_digest(WEAK)
