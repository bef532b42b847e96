"""The local Hub's state folder, read back from disk after writes through the real ``HfApi``:
nothing in it is open to other local users."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from huggingface_hub import CommitOperationAdd, constants

from reconciler.localhub import LocalHub

from .hubtools import LOCAL_ORG, LOCAL_USER, add_token, admin, advance, api, make_gradio_space
from .test_lfs import png
from .test_lfs_default_client import xet_client  # noqa: F401 (a fixture: hf_xet on, its cache in tmp_path)

SPACE = f"{LOCAL_ORG}/atk"


def state_files(root: Path) -> Iterator[Path]:
    return (path for path in sorted(root.rglob("*")) if path.is_file())


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


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
            client.add_space_secret(SPACE, "DBPASS", "letmein")
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
