"""Commits, preupload, trees, paths-info, history, downloads and hot reload through the real
client (hub-contract.md sections 8 to 11)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from huggingface_hub import (
    CommitOperationAdd,
    CommitOperationCopy,
    CommitOperationDelete,
    hf_hub_download,
    snapshot_download,
)
from huggingface_hub._hot_reload.client import ReloadClient
from huggingface_hub.hf_api import RepoFile, RepoFolder

from .hubtools import (
    GRADIO_APP,
    LOCAL_USER,
    advance,
    api,
    events,
    git_blob_sha,
    make_gradio_space,
    reset_stats,
    route_count,
    settle,
)

SPACE = f"{LOCAL_USER}/git"


def _tree(client: Any, repo_id: str = SPACE, **kwargs: Any) -> dict[str, Any]:
    return {item.path: item for item in client.list_repo_tree(repo_id, repo_type="space", **kwargs)}


def _read(hub: Any, path: str, tmp_path: Path, repo_id: str = SPACE, revision: str | None = None) -> bytes:
    local = hf_hub_download(
        repo_id,
        path,
        repo_type="space",
        revision=revision,
        endpoint=hub.endpoint,
        token=hub.token,
        cache_dir=tmp_path / "dl-cache",
    )
    return Path(local).read_bytes()


def test_create_commit_additions_deletions_and_folders(local_hub: Any) -> None:
    client = api(local_hub)
    client.create_repo(SPACE, repo_type="space", space_sdk="gradio")
    first = client.create_commit(
        SPACE,
        [
            CommitOperationAdd(path_in_repo="app.py", path_or_fileobj=GRADIO_APP),
            CommitOperationAdd(path_in_repo="old.txt", path_or_fileobj=b"old\n"),
            CommitOperationAdd(path_in_repo="olddir/a.txt", path_or_fileobj=b"a\n"),
            CommitOperationAdd(path_in_repo="olddir/deep/b.txt", path_or_fileobj=b"b\n"),
            CommitOperationAdd(path_in_repo="empty.txt", path_or_fileobj=b""),
        ],
        commit_message="first",
        commit_description="the description",
        repo_type="space",
    )
    assert len(first.oid) == 40
    assert first.commit_url.endswith(f"/spaces/{SPACE}/commit/{first.oid}")
    assert first.repo_url.repo_id == SPACE
    assert set(_tree(client, recursive=True)) >= {"app.py", "old.txt", "olddir", "olddir/a.txt", "empty.txt"}

    second = client.create_commit(
        SPACE,
        [
            CommitOperationDelete(path_in_repo="old.txt"),
            CommitOperationDelete(path_in_repo="olddir/"),
            CommitOperationAdd(path_in_repo="new.txt", path_or_fileobj=b"new\n"),
        ],
        commit_message="second",
        repo_type="space",
    )
    files = set(client.list_repo_files(SPACE, repo_type="space"))
    assert "old.txt" not in files
    assert not any(f.startswith("olddir/") for f in files)
    assert {"app.py", "new.txt", "empty.txt"} <= files
    assert client.space_info(SPACE).sha == second.oid
    commits = client.list_repo_commits(SPACE, repo_type="space")
    assert [c.commit_id for c in commits[:2]] == [second.oid, first.oid]
    assert commits[1].title == "first" and "the description" in commits[1].message


def test_commit_is_folder_flag_and_copy(local_hub: Any, tmp_path: Path) -> None:
    client = api(local_hub)
    client.create_repo(SPACE, repo_type="space", space_sdk="static")
    client.create_commit(
        SPACE,
        [
            CommitOperationAdd(path_in_repo="src/a.py", path_or_fileobj=b"a = 1\n"),
            CommitOperationAdd(path_in_repo="keep/x.txt", path_or_fileobj=b"x\n"),
        ],
        commit_message="add",
        repo_type="space",
    )
    client.create_commit(
        SPACE,
        [
            CommitOperationCopy(src_path_in_repo="src/a.py", path_in_repo="copied/a.py"),
            CommitOperationDelete(path_in_repo="src", is_folder=True),
        ],
        commit_message="copy and delete folder",
        repo_type="space",
    )
    files = set(client.list_repo_files(SPACE, repo_type="space"))
    assert "copied/a.py" in files and "keep/x.txt" in files
    assert not any(f.startswith("src/") for f in files)
    assert _read(local_hub, "copied/a.py", tmp_path) == b"a = 1\n"


def test_parent_commit_accepted_when_current(local_hub: Any) -> None:
    client = api(local_hub)
    sha = make_gradio_space(client, SPACE)
    info = client.create_commit(
        SPACE,
        [CommitOperationAdd(path_in_repo="extra.py", path_or_fileobj=b"x = 1\n")],
        commit_message="on top",
        parent_commit=sha,
        repo_type="space",
    )
    assert client.list_repo_commits(SPACE, repo_type="space")[1].commit_id == sha
    assert client.space_info(SPACE).sha == info.oid


def test_preupload_oid_skips_unchanged_files(local_hub: Any) -> None:
    client = api(local_hub)
    sha = make_gradio_space(client, SPACE)
    reset_stats(local_hub)
    info = client.upload_file(path_or_fileobj=GRADIO_APP, path_in_repo="app.py", repo_id=SPACE, repo_type="space")
    assert info.oid == sha  # nothing changed: no new commit
    assert route_count(local_hub, "POST /api/spaces/{id}/commit/{rev}") == 0
    assert route_count(local_hub, "POST /api/spaces/{id}/preupload/{rev}") == 1
    assert len(client.list_repo_commits(SPACE, repo_type="space")) == 2  # create + initial


def test_preupload_honours_gitignore(local_hub: Any) -> None:
    """shouldIgnore follows the .gitignore sent with the commit, else the repo's own."""
    client = api(local_hub)
    client.create_repo(SPACE, repo_type="space", space_sdk="gradio")
    client.create_commit(
        SPACE,
        [
            CommitOperationAdd(path_in_repo=".gitignore", path_or_fileobj=b"*.log\nbuild/\n"),
            CommitOperationAdd(path_in_repo="app.py", path_or_fileobj=GRADIO_APP),
            CommitOperationAdd(path_in_repo="debug.log", path_or_fileobj=b"noise\n"),
            CommitOperationAdd(path_in_repo="build/out.txt", path_or_fileobj=b"artifact\n"),
        ],
        commit_message="with gitignore",
        repo_type="space",
    )
    files = set(client.list_repo_files(SPACE, repo_type="space"))
    assert {".gitignore", "app.py"} <= files
    assert "debug.log" not in files and "build/out.txt" not in files
    client.create_commit(
        SPACE,
        [
            CommitOperationAdd(path_in_repo="later.log", path_or_fileobj=b"x\n"),
            CommitOperationAdd(path_in_repo="kept.txt", path_or_fileobj=b"y\n"),
        ],
        commit_message="repo gitignore applies",
        repo_type="space",
    )
    files = set(client.list_repo_files(SPACE, repo_type="space"))
    assert "kept.txt" in files and "later.log" not in files


def test_blob_ids_match_git_hash_object(local_hub: Any, tmp_path: Path) -> None:
    client = api(local_hub)
    data = b"print('hi')\n"
    assert git_blob_sha(data) == "9f1b437537a2acdadafd3174f6f0af9c1a04f5e4"
    client.create_repo(SPACE, repo_type="space", space_sdk="gradio")
    client.upload_file(path_or_fileobj=data, path_in_repo="hi.py", repo_id=SPACE, repo_type="space")
    entry = _tree(client)["hi.py"]
    assert isinstance(entry, RepoFile)
    assert entry.blob_id == git_blob_sha(data)
    assert entry.size == len(data)
    (info,) = client.get_paths_info(SPACE, ["hi.py"], repo_type="space")
    assert info.blob_id == git_blob_sha(data)  # type: ignore[union-attr]
    meta = client.get_hf_file_metadata(url=f"{local_hub.endpoint}/spaces/{SPACE}/resolve/main/hi.py")
    assert meta.etag == git_blob_sha(data)
    assert meta.commit_hash == client.space_info(SPACE).sha
    assert meta.size == len(data)


def test_upload_file_and_delete_file(local_hub: Any, tmp_path: Path) -> None:
    client = api(local_hub)
    client.create_repo(SPACE, repo_type="space", space_sdk="gradio")
    source = tmp_path / "local.txt"
    source.write_bytes(b"from disk\n")
    info = client.upload_file(
        path_or_fileobj=str(source), path_in_repo="dir/remote.txt", repo_id=SPACE, repo_type="space"
    )
    commits = client.list_repo_commits(SPACE, repo_type="space")
    assert commits[0].commit_id == info.oid
    assert commits[0].title == "Upload dir/remote.txt with huggingface_hub"
    assert _read(local_hub, "dir/remote.txt", tmp_path) == b"from disk\n"
    deleted = client.delete_file("dir/remote.txt", SPACE, repo_type="space")
    assert not client.file_exists(SPACE, "dir/remote.txt", repo_type="space")
    assert client.space_info(SPACE).sha == deleted.oid


def test_upload_folder_with_delete_patterns(local_hub: Any, tmp_path: Path) -> None:
    client = api(local_hub)
    client.create_repo(SPACE, repo_type="space", space_sdk="gradio")
    client.create_commit(
        SPACE,
        [
            CommitOperationAdd(path_in_repo="stale.txt", path_or_fileobj=b"stale\n"),
            CommitOperationAdd(path_in_repo="keep.md", path_or_fileobj=b"keep\n"),
            CommitOperationAdd(path_in_repo="app/old.txt", path_or_fileobj=b"old\n"),
        ],
        commit_message="seed",
        repo_type="space",
    )
    folder = tmp_path / "site"
    (folder / "pkg").mkdir(parents=True)
    (folder / "app.py").write_bytes(GRADIO_APP)
    (folder / "pkg" / "mod.py").write_bytes(b"VALUE = 2\n")
    (folder / "pkg" / "skip.log").write_bytes(b"log\n")
    info = client.upload_folder(
        repo_id=SPACE,
        folder_path=folder,
        repo_type="space",
        ignore_patterns=["*.log"],
        delete_patterns=["*.txt"],
    )
    files = set(client.list_repo_files(SPACE, repo_type="space"))
    assert {"app.py", "pkg/mod.py", "keep.md"} <= files
    assert "stale.txt" not in files and "app/old.txt" not in files and "pkg/skip.log" not in files
    assert ".gitattributes" in files  # never deleted by delete_patterns
    assert client.space_info(SPACE).sha == info.oid
    assert client.list_repo_commits(SPACE, repo_type="space")[0].title == "Upload folder using huggingface_hub"

    # Uploading the same folder again is a no-op: no commit.
    again = client.upload_folder(repo_id=SPACE, folder_path=folder, repo_type="space", ignore_patterns=["*.log"])
    assert again.oid == info.oid


def test_list_repo_tree_recursive_and_subpaths(local_hub: Any) -> None:
    client = api(local_hub)
    client.create_repo(SPACE, repo_type="space", space_sdk="gradio")
    client.create_commit(
        SPACE,
        [
            CommitOperationAdd(path_in_repo="top.txt", path_or_fileobj=b"t\n"),
            CommitOperationAdd(path_in_repo="src/sub dir/a file.py", path_or_fileobj=b"a\n"),
            CommitOperationAdd(path_in_repo="src/sub dir/nested/b.py", path_or_fileobj=b"bb\n"),
            CommitOperationAdd(path_in_repo="src/c.py", path_or_fileobj=b"ccc\n"),
        ],
        commit_message="tree",
        repo_type="space",
    )
    top = {item.path: item for item in client.list_repo_tree(SPACE, repo_type="space")}
    assert isinstance(top["src"], RepoFolder) and isinstance(top["top.txt"], RepoFile)
    assert "src/c.py" not in top
    assert len(top["src"].tree_id) == 40

    sub = _tree(client, path_in_repo="src/sub dir")
    assert set(sub) == {"src/sub dir/a file.py", "src/sub dir/nested"}
    assert sub["src/sub dir/a file.py"].size == 2

    deep = _tree(client, path_in_repo="src", recursive=True)
    assert set(deep) == {
        "src/c.py",
        "src/sub dir",
        "src/sub dir/a file.py",
        "src/sub dir/nested",
        "src/sub dir/nested/b.py",
    }

    everything = _tree(client, recursive=True)
    assert {"top.txt", "src", "src/sub dir/nested/b.py", ".gitattributes"} <= set(everything)

    expanded = _tree(client, path_in_repo="src", expand=True)
    assert expanded["src/c.py"].last_commit is not None


def test_list_repo_tree_paginates_with_recursive_kept(local_hub: Any) -> None:
    client = api(local_hub)
    client.create_repo(SPACE, repo_type="space", space_sdk="static")
    ops = [CommitOperationAdd(path_in_repo=f"d/f{i:04d}.txt", path_or_fileobj=f"{i}\n".encode()) for i in range(1100)]
    ops += [CommitOperationAdd(path_in_repo=f"e/g{i:03d}.txt", path_or_fileobj=f"{i}\n".encode()) for i in range(120)]
    client.create_commit(SPACE, ops, commit_message="many", repo_type="space")
    reset_stats(local_hub)
    files = client.list_repo_files(SPACE, repo_type="space")
    assert len([f for f in files if f.startswith("d/")]) == 1100
    assert route_count(local_hub, "GET /api/spaces/{id}/tree/{rev}") >= 2
    # expand=true pages are smaller; every page must still carry expand (the Link keeps it).
    reset_stats(local_hub)
    expanded = list(client.list_repo_tree(SPACE, path_in_repo="e", expand=True, repo_type="space"))
    assert len(expanded) == 120
    assert all(item.last_commit is not None for item in expanded)
    assert route_count(local_hub, "GET /api/spaces/{id}/tree/{rev}/{path}") >= 2


def test_list_repo_commits_paginates(local_hub: Any) -> None:
    client = api(local_hub)
    client.create_repo(SPACE, repo_type="space", space_sdk="static")
    for i in range(60):
        client.create_commit(
            SPACE, [CommitOperationDelete(path_in_repo=".gitattributes")] if i == 0 else
            [CommitOperationAdd(path_in_repo="n.txt", path_or_fileobj=f"{i}\n".encode())],
            commit_message=f"commit {i}", repo_type="space",
        )  # fmt: skip
    reset_stats(local_hub)
    commits = client.list_repo_commits(SPACE, repo_type="space", formatted=True)
    assert len(commits) == 61
    assert [c.title for c in commits[:2]] == ["commit 59", "commit 58"]
    assert all(c.formatted_title is not None for c in commits)  # the Link kept expand[]=formatted
    assert route_count(local_hub, "GET /api/spaces/{id}/commits/{rev}") >= 2


def test_get_paths_info(local_hub: Any) -> None:
    client = api(local_hub)
    make_gradio_space(client, SPACE, extra_files={"src/m.py": b"m = 1\n"})
    infos = {i.path: i for i in client.get_paths_info(SPACE, ["app.py", "src", "missing.txt"], repo_type="space")}
    assert set(infos) == {"app.py", "src"}
    assert isinstance(infos["app.py"], RepoFile) and infos["app.py"].blob_id == git_blob_sha(GRADIO_APP)
    assert isinstance(infos["src"], RepoFolder)
    expanded = client.get_paths_info(SPACE, "app.py", repo_type="space", expand=True)
    assert expanded[0].last_commit is not None


def test_list_repo_commits_formatted_and_by_sha(local_hub: Any) -> None:
    client = api(local_hub)
    first = make_gradio_space(client, SPACE)
    client.upload_file(path_or_fileobj=b"x\n", path_in_repo="x.txt", repo_id=SPACE, repo_type="space")
    commits = client.list_repo_commits(SPACE, repo_type="space", formatted=True)
    assert len(commits) == 3  # create (.gitattributes) + initial + upload
    assert commits[0].authors == [LOCAL_USER]
    assert commits[0].created_at.tzinfo is not None
    assert commits[0].formatted_title is not None
    at_first = client.list_repo_commits(SPACE, repo_type="space", revision=first)
    assert at_first[0].commit_id == first and len(at_first) == 2


def test_hf_hub_download_branch_and_sha_and_file_exists(local_hub: Any, tmp_path: Path) -> None:
    client = api(local_hub)
    first = make_gradio_space(client, SPACE, extra_files={"src/dir name/f.txt": b"v1\n"})
    client.upload_file(path_or_fileobj=b"v2\n", path_in_repo="src/dir name/f.txt", repo_id=SPACE, repo_type="space")
    latest = hf_hub_download(SPACE, "src/dir name/f.txt", repo_type="space", endpoint=local_hub.endpoint,
                             token=local_hub.token, cache_dir=tmp_path / "direct")  # fmt: skip
    assert Path(latest).read_bytes() == b"v2\n"
    assert Path(latest).parents[2].name == client.space_info(SPACE).sha  # cached under the resolved commit
    assert _read(local_hub, "src/dir name/f.txt", tmp_path, revision=first) == b"v1\n"
    assert client.file_exists(SPACE, "src/dir name/f.txt", repo_type="space")
    assert client.file_exists(SPACE, "app.py", repo_type="space", revision=first)
    assert not client.file_exists(SPACE, "nope.txt", repo_type="space")
    assert not client.file_exists(SPACE, "app.py", repo_type="space", revision="no-such-branch")
    assert not client.file_exists(f"{LOCAL_USER}/no-such-space", "app.py", repo_type="space")


def test_snapshot_download(local_hub: Any, tmp_path: Path) -> None:
    client = api(local_hub)
    sha = make_gradio_space(client, SPACE, extra_files={"pkg/a b.py": b"ab = 1\n"})
    target = snapshot_download(
        SPACE,
        repo_type="space",
        endpoint=local_hub.endpoint,
        token=local_hub.token,
        cache_dir=tmp_path / "snap-cache",
    )
    root = Path(target)
    assert root.name == sha
    assert (root / "app.py").read_bytes() == GRADIO_APP
    assert (root / "pkg" / "a b.py").read_bytes() == b"ab = 1\n"
    only = snapshot_download(
        SPACE,
        repo_type="space",
        endpoint=local_hub.endpoint,
        token=local_hub.token,
        local_dir=tmp_path / "only-py",
        allow_patterns=["*.py"],
    )
    got = {p.relative_to(only).as_posix() for p in Path(only).rglob("*") if p.is_file() and ".cache" not in p.parts}
    assert got == {"app.py", "pkg/a b.py"}


def test_readme_front_matter_is_validated(local_hub: Any) -> None:
    client = api(local_hub)
    client.create_repo(SPACE, repo_type="space", space_sdk="gradio")
    reset_stats(local_hub)
    client.upload_file(
        path_or_fileobj=b"---\nsdk: gradio\nsdk_version: 6.2.0\n---\n# ok\n",
        path_in_repo="README.md",
        repo_id=SPACE,
        repo_type="space",
    )
    assert route_count(local_hub, "POST /api/validate-yaml") == 1
    with pytest.raises(ValueError, match=r"Invalid metadata in README\.md"):
        client.upload_file(
            path_or_fileobj=b"---\nsdk: not-an-sdk\n---\n",
            path_in_repo="README.md",
            repo_id=SPACE,
            repo_type="space",
        )
    assert client.space_info(SPACE).card_data.sdk_version == "6.2.0"  # type: ignore[union-attr]


def test_hot_reload_created_for_python_only_change(local_hub: Any) -> None:
    client = api(local_hub)
    make_gradio_space(client, SPACE)
    settle(local_hub)
    running = client.space_info(SPACE)
    assert running.runtime is not None and running.runtime.stage == "RUNNING"
    new_app = GRADIO_APP + b"\ndef added():\n    return 1\n"
    info = client.upload_file(
        path_or_fileobj=new_app,
        path_in_repo="app.py",
        repo_id=SPACE,
        repo_type="space",
        parent_commit=running.sha,
        _hot_reload=True,
    )
    after = client.space_info(SPACE)
    assert after.sha == info.oid
    assert after.runtime is not None and after.runtime.stage == "RUNNING"  # no rebuild
    hot = after.runtime.hot_reloading
    assert hot is not None and hot.status == "created"
    assert hot.replica_statuses and all(len(pair) == 2 for pair in hot.replica_statuses)
    assert after.host and after.subdomain
    # The real client's replica stream, against the same server.
    replica = hot.replica_statuses[0][0]
    reload_client = ReloadClient(
        host=after.host, subdomain=after.subdomain, replica_hash=replica, token=local_hub.token
    )
    stream = reload_client.get_reload(info.oid)
    assert not isinstance(stream, int)
    events = list(stream)
    assert events, "expected reload events from the replica endpoint"
    assert all("data" in e for e in events)


def test_hot_reload_canceled_when_not_python_only(local_hub: Any) -> None:
    client = api(local_hub)
    make_gradio_space(client, SPACE)
    settle(local_hub)
    sha = client.space_info(SPACE).sha
    info = client.upload_file(
        path_or_fileobj=b"gradio\n",
        path_in_repo="requirements.txt",
        repo_id=SPACE,
        repo_type="space",
        parent_commit=sha,
        _hot_reload=True,
    )
    runtime = client.get_space_runtime(SPACE)
    assert runtime.hot_reloading is not None and runtime.hot_reloading.status == "canceled"
    assert runtime.stage == "RUNNING"  # the old version still shows for a few seconds (hub-contract §13)
    advance(local_hub, 5)
    assert client.get_space_runtime(SPACE).stage in ("BUILDING", "RUNNING_BUILDING")  # a normal build
    settle(local_hub)
    assert client.get_space_runtime(SPACE).stage == "RUNNING"
    assert [e["detail"][:7] for e in events(local_hub, SPACE) if e["kind"] == "build"][-1] == info.oid[:7]


def test_hot_reload_canceled_for_old_gradio(local_hub: Any) -> None:
    client = api(local_hub)
    make_gradio_space(client, SPACE, readme="---\nsdk: gradio\nsdk_version: 5.9.0\n---\n")
    settle(local_hub)
    sha = client.space_info(SPACE).sha
    client.upload_file(
        path_or_fileobj=GRADIO_APP + b"# hot\n",
        path_in_repo="app.py",
        repo_id=SPACE,
        repo_type="space",
        parent_commit=sha,
        _hot_reload=True,
    )
    runtime = client.get_space_runtime(SPACE)
    assert runtime.hot_reloading is not None and runtime.hot_reloading.status == "canceled"
