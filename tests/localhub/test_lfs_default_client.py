"""The same media through the default client (hf_xet installed, Xet not disabled): upload_folder
goes through the Xet CAS, the tree answers `xetHash`, resolve sends `X-Xet-Hash` with the
`xet-auth` link, and hf_hub_download / snapshot_download reconstruct the content byte-exact.
Files stored through the LFS batch API download over plain HTTP with the same client."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx2
import pytest
from huggingface_hub import constants, hf_hub_download, snapshot_download
from huggingface_hub.hf_api import RepoFile
from huggingface_hub.utils._xet import XET_CONNECTION_INFO_CACHE, abort_xet_session

from .hubtools import LOCAL_USER, api, git_blob_sha, reset_stats, stats
from .test_lfs import media_folder, png, pointer

SPACE = f"{LOCAL_USER}/media-xet"


@pytest.fixture
def xet_client(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("HF_XET_CACHE", str(tmp_path / "xet-cache"))
    monkeypatch.setattr(constants, "HF_XET_CACHE", str(tmp_path / "xet-cache"))
    monkeypatch.setattr(constants, "HF_HUB_DISABLE_XET", False)
    XET_CONNECTION_INFO_CACHE.clear()
    abort_xet_session()
    yield
    XET_CONNECTION_INFO_CACHE.clear()
    abort_xet_session()


def test_media_through_xet_download_byte_exact(local_hub: Any, xet_client: None, tmp_path: Path) -> None:
    client = api(local_hub)
    client.create_repo(SPACE, repo_type="space", space_sdk="gradio")
    folder = tmp_path / "space"
    files = media_folder(folder)
    reset_stats(local_hub)
    client.upload_folder(repo_id=SPACE, repo_type="space", folder_path=folder)
    by_route = stats(local_hub)["by_route"]
    assert by_route.get("GET /api/spaces/{id}/xet-write-token/{rev}", 0) >= 1
    assert "PUT /lfs-upload/{oid}" not in by_route, "the default client does not use the LFS batch API"

    tree = {
        i.path: i for i in client.list_repo_tree(SPACE, repo_type="space", recursive=True) if isinstance(i, RepoFile)
    }
    image = files["examples/cat.png"]
    entry = tree["examples/cat.png"]
    assert entry.blob_id == git_blob_sha(pointer(image)) and entry.size == len(image)
    assert entry.lfs is not None and entry.lfs.sha256 == hashlib.sha256(image).hexdigest()
    assert entry.xet_hash and local_hub.store.xet_hash(entry.lfs.sha256) == entry.xet_hash

    with httpx2.Client(timeout=30) as http:
        head = http.head(
            f"{local_hub.endpoint}/spaces/{SPACE}/resolve/main/examples/cat.png",
            headers={"authorization": f"Bearer {local_hub.token}"},
        )
    assert head.headers["X-Xet-Hash"] == entry.xet_hash
    assert head.links["xet-auth"]["url"].endswith(
        f"/api/spaces/{SPACE}/xet-read-token/{client.repo_info(SPACE, repo_type='space').sha}"
    )

    lfs_paths = [p for p, e in tree.items() if e.lfs is not None]
    assert len(lfs_paths) == 6
    for path in [*lfs_paths, "app.py", "empty.txt"]:
        local = hf_hub_download(
            SPACE, path, repo_type="space", endpoint=local_hub.endpoint, token=local_hub.token,
            cache_dir=tmp_path / "dl",
        )  # fmt: skip
        assert Path(local).read_bytes() == files[path], path
    snapshot = Path(
        snapshot_download(
            SPACE, repo_type="space", endpoint=local_hub.endpoint, token=local_hub.token, cache_dir=tmp_path / "snap"
        )
    )
    for path in [*lfs_paths, "app.py"]:
        assert (snapshot / path).read_bytes() == files[path], path


def test_lfs_batch_files_download_over_http_with_the_default_client(
    local_hub: Any, xet_client: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = api(local_hub)
    client.create_repo(SPACE, repo_type="space", space_sdk="gradio")
    image = png(21)
    monkeypatch.setattr(constants, "HF_HUB_DISABLE_XET", True)
    client.upload_file(path_or_fileobj=image, path_in_repo="logo.png", repo_id=SPACE, repo_type="space")
    monkeypatch.setattr(constants, "HF_HUB_DISABLE_XET", False)
    reset_stats(local_hub)
    local = hf_hub_download(
        SPACE, "logo.png", repo_type="space", endpoint=local_hub.endpoint, token=local_hub.token,
        cache_dir=tmp_path / "dl",
    )  # fmt: skip
    assert Path(local).read_bytes() == image
    assert stats(local_hub)["by_route"].get("GET /spaces/{id}/resolve/{rev}/{file}") == 1
