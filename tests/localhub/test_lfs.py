"""Binary and large files through the real client with HF_HUB_DISABLE_XET=1: preupload modes, the
legacy LFS batch API (basic and multipart), pointer files in trees, resolve and downloads
(hub-contract.md §8.2, §9, §11).

Expected ids are computed here from the bytes (hashlib, and `git hash-object` of the pointer
file written out), never by the local Hub's own code.
"""

from __future__ import annotations

import base64
import hashlib
import json
import shutil
import subprocess
import wave
import zlib
from pathlib import Path
from typing import Any

import httpx2
import pytest
from huggingface_hub import CommitOperationAdd, CommitOperationCopy, constants, hf_hub_download, snapshot_download
from huggingface_hub.hf_api import RepoFile

from .hubtools import (
    LOCAL_USER,
    add_token,
    admin,
    api,
    git_blob_sha,
    make_gradio_space,
    reset_stats,
    served_hub,
    stats,
    switch,
)

SPACE = f"{LOCAL_USER}/media"
LFS_LINE = "filter=lfs diff=lfs merge=lfs -text"


@pytest.fixture(autouse=True)
def no_xet(monkeypatch: pytest.MonkeyPatch) -> None:
    """HF_HUB_DISABLE_XET=1: the client reads the flag at import, so set the constant it consults."""
    monkeypatch.setenv("HF_HUB_DISABLE_XET", "1")
    monkeypatch.setattr(constants, "HF_HUB_DISABLE_XET", True)


# ---------------------------------------------------------------------- media that looks real


def png(seed: int = 0, size: int = 32) -> bytes:
    """A valid PNG (gray gradient): signature, IHDR, IDAT, IEND. Its header holds NUL bytes."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return len(data).to_bytes(4, "big") + body + zlib.crc32(body).to_bytes(4, "big")

    rows = b"".join(b"\0" + bytes((x * 7 + y + seed) % 256 for x in range(size)) for y in range(size))
    header = size.to_bytes(4, "big") * 2 + bytes([8, 0, 0, 0, 0])
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


def wav(path: Path, frames: int = 8000) -> bytes:
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(8000)
        out.writeframes(b"".join(((i * 37) % 65536).to_bytes(2, "little") for i in range(frames)))
    return path.read_bytes()


def pseudo_random(size: int, seed: int = 1) -> bytes:
    """Incompressible-looking bytes without os.urandom, so failures reproduce."""
    out, counter = bytearray(), 0
    while len(out) < size:
        out += hashlib.sha256(f"{seed}:{counter}".encode()).digest() * 64
        counter += 1
    return bytes(out[:size])


def pointer(data: bytes) -> bytes:
    sha = hashlib.sha256(data).hexdigest()
    return f"version https://git-lfs.github.com/spec/v1\noid sha256:{sha}\nsize {len(data)}\n".encode()


def git_hash_object(path: Path) -> str:
    return subprocess.run(["git", "hash-object", str(path)], check=True, capture_output=True, text=True).stdout.strip()


def media_folder(root: Path) -> dict[str, bytes]:
    """A gradio Space folder with the kinds of files real Spaces hold."""
    root.mkdir(parents=True, exist_ok=True)
    files: dict[str, bytes] = {
        "README.md": b"---\ntitle: Media\nsdk: gradio\nsdk_version: 6.2.0\napp_file: app.py\n---\n",
        "app.py": b"import gradio as gr\n\ngr.Interface(fn=lambda x: x, inputs='image', outputs='image').launch()\n",
        "examples/cat.png": png(1),
        "examples/nested/deeper/dog.png": png(2),
        "weights/model.bin": pseudo_random(12 * 1024 * 1024),
        "weights/tiny.onnx": b"onnx-ish text header without NUL\n" * 4,
        "empty.txt": b"",
        "examples/my cat é.png": png(3),
        ".gitignore": b"*.log\n",
        "debug.log": b"ignored by the Space's own .gitignore\n",
    }
    for rel, data in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(data)
    (root / "audio").mkdir()
    files["audio/voice.wav"] = wav(root / "audio" / "voice.wav")
    return files


def _tree(client: Any, repo_id: str = SPACE) -> dict[str, RepoFile]:
    return {
        item.path: item
        for item in client.list_repo_tree(repo_id, repo_type="space", recursive=True)
        if isinstance(item, RepoFile)
    }


def _raw(hub: Any, method: str, path: str, **kwargs: Any) -> httpx2.Response:
    headers = {"authorization": f"Bearer {hub.token}", **kwargs.pop("headers", {})}
    with httpx2.Client(timeout=60) as client:
        return client.request(method, f"{hub.endpoint}{path}", headers=headers, **kwargs)


def _gitattributes(hub: Any, tmp_path: Path, repo_id: str = SPACE) -> str:
    local = hf_hub_download(
        repo_id, ".gitattributes", repo_type="space", endpoint=hub.endpoint, token=hub.token,
        cache_dir=tmp_path / "ga-cache", force_download=True,
    )  # fmt: skip
    return Path(local).read_text()


# ---------------------------------------------------------------------- the whole path


def test_upload_folder_stores_media_as_lfs_pointers_and_downloads_them_byte_exact(
    local_hub: Any, tmp_path: Path
) -> None:
    client = api(local_hub)
    client.create_repo(SPACE, repo_type="space", space_sdk="gradio")
    folder = tmp_path / "space"
    files = media_folder(folder)
    reset_stats(local_hub)
    client.upload_folder(repo_id=SPACE, repo_type="space", folder_path=folder)
    by_route = stats(local_hub)["by_route"]
    assert by_route.get("POST /spaces/{id}/info/lfs/objects/batch", 0) >= 1
    assert by_route.get("PUT /lfs-upload/{oid}") == 6  # three PNGs, the WAV, the .bin and the .onnx
    assert by_route.get("POST /spaces/{id}/info/lfs/objects/verify") == 6

    tree = _tree(client)
    assert "debug.log" not in tree, "the Space's .gitignore drops it (shouldIgnore)"
    lfs_paths = {
        "examples/cat.png", "examples/nested/deeper/dog.png", "examples/my cat é.png",
        "weights/model.bin", "weights/tiny.onnx", "audio/voice.wav",
    }  # fmt: skip
    for path in lfs_paths:
        data, entry = files[path], tree[path]
        pointer_file = tmp_path / "pointer"
        pointer_file.write_bytes(pointer(data))
        assert entry.blob_id == git_hash_object(pointer_file), path
        assert entry.size == len(data)
        assert entry.lfs is not None and entry.lfs.sha256 == hashlib.sha256(data).hexdigest()
        assert entry.lfs.size == len(data) and entry.lfs.pointer_size == len(pointer(data))
        assert entry.xet_hash is None, "stored through the LFS batch API, not Xet"
    for path in ("README.md", "app.py", "empty.txt", ".gitignore"):
        assert tree[path].lfs is None and tree[path].blob_id == git_blob_sha(files[path]), path

    info = {p.path: p for p in client.get_paths_info(SPACE, sorted(lfs_paths), repo_type="space")}
    assert {p: (i.blob_id, i.size, i.lfs.sha256 if i.lfs else None) for p, i in info.items()} == {
        p: (tree[p].blob_id, tree[p].size, tree[p].lfs.sha256 if tree[p].lfs else None) for p in lfs_paths
    }

    # The Hub appends a line for each LFS file no pattern covers (the PNGs and the WAV, not the
    # .bin and .onnx of its default patterns); a space is written [[:space:]], as git-lfs does.
    attributes = _gitattributes(local_hub, tmp_path)
    appended = [line for line in attributes.splitlines() if not line.startswith("*") and "saved_model" not in line]
    assert sorted(appended) == sorted(
        [
            f"audio/voice.wav {LFS_LINE}",
            f"examples/cat.png {LFS_LINE}",
            f"examples/my[[:space:]]cat[[:space:]]é.png {LFS_LINE}",
            f"examples/nested/deeper/dog.png {LFS_LINE}",
        ]
    )
    check = tmp_path / "check"
    subprocess.run(["git", "init", "-q", str(check)], check=True)
    (check / ".gitattributes").write_text(attributes)
    attrs = subprocess.run(
        ["git", "-C", str(check), "check-attr", "filter", "--", *sorted(lfs_paths)],
        check=True, capture_output=True, text=True,
    ).stdout  # fmt: skip
    assert attrs.count(": filter: lfs") == len(lfs_paths), attrs

    for path in [*sorted(lfs_paths), "app.py", "empty.txt"]:
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
    for path in lfs_paths | {"app.py", "empty.txt"}:
        assert (snapshot / path).read_bytes() == files[path], path

    # Unchanged content: preupload answers the sha256 as `oid` for lfs files, so nothing is sent again
    # (the .gitignore'd file alone would still make the client send an empty commit, as on the Hub).
    commits = len(client.list_repo_commits(SPACE, repo_type="space"))
    reset_stats(local_hub)
    client.upload_folder(repo_id=SPACE, repo_type="space", folder_path=folder, ignore_patterns=["*.log"])
    assert len(client.list_repo_commits(SPACE, repo_type="space")) == commits
    assert "PUT /lfs-upload/{oid}" not in stats(local_hub)["by_route"]
    assert "POST /api/spaces/{id}/commit/{rev}" not in stats(local_hub)["by_route"]


def test_resolve_headers_for_lfs_and_regular_files(local_hub: Any, tmp_path: Path) -> None:
    client = api(local_hub)
    image = png(7)
    make_gradio_space(client, SPACE, extra_files={"img/logo.png": image})
    head = client.repo_info(SPACE, repo_type="space").sha
    sha = hashlib.sha256(image).hexdigest()

    lfs_head = _raw(local_hub, "HEAD", f"/spaces/{SPACE}/resolve/main/img/logo.png")
    assert lfs_head.status_code == 200
    assert lfs_head.headers["X-Linked-Etag"] == f'"{sha}"'
    assert lfs_head.headers["X-Linked-Size"] == str(len(image))
    assert lfs_head.headers["Content-Length"] == str(len(image))
    assert lfs_head.headers["ETag"] == f'"{git_blob_sha(pointer(image))}"'
    assert lfs_head.headers["X-Repo-Commit"] == head
    assert "X-Xet-Hash" not in lfs_head.headers

    app_head = _raw(local_hub, "HEAD", f"/spaces/{SPACE}/resolve/main/app.py")
    assert app_head.headers["ETag"] == f'"{git_blob_sha(client_app(client))}"'
    assert "X-Linked-Etag" not in app_head.headers and "X-Linked-Size" not in app_head.headers

    whole = _raw(local_hub, "GET", f"/spaces/{SPACE}/resolve/{head}/img/logo.png")
    assert whole.content == image
    part = _raw(local_hub, "GET", f"/spaces/{SPACE}/resolve/main/img/logo.png", headers={"Range": "bytes=8-23"})
    assert part.status_code == 206 and part.content == image[8:24]
    assert part.headers["Content-Range"] == f"bytes 8-23/{len(image)}"
    tail = _raw(local_hub, "GET", f"/spaces/{SPACE}/resolve/main/img/logo.png", headers={"Range": "bytes=-5"})
    assert tail.content == image[-5:]


def client_app(client: Any) -> bytes:
    local = client.hf_hub_download(SPACE, "app.py", repo_type="space")
    return Path(local).read_bytes()


def test_preupload_decisions_through_http(local_hub: Any) -> None:
    client = api(local_hub)
    make_gradio_space(client, SPACE, extra_files={"data/old.bin": b"text in a bin\n", "notes.txt": b"n\n"})

    def sample(data: bytes) -> str:
        return base64.b64encode(data[:512]).decode()

    files = [
        {"path": "app.py", "sample": sample(b"print(1)\n"), "size": 9},
        {"path": "data/old.bin", "sample": sample(b"text in a bin\n"), "size": 14},
        {"path": "weights/model.safetensors", "sample": sample(b"{}"), "size": 2},
        {"path": "photo.png", "sample": sample(png()), "size": len(png())},
        {"path": "big.csv", "sample": sample(b"a,b\n"), "size": 10 * 1024 * 1024 + 1},
        {"path": "ten.csv", "sample": sample(b"a,b\n"), "size": 10 * 1024 * 1024},
        {"path": "empty.bin", "sample": "", "size": 0},
        {"path": "notes.txt", "sample": sample(b"n\n"), "size": 2},
        {"path": "debug.log", "sample": sample(b"x"), "size": 1},
    ]
    answer = _raw(
        local_hub, "POST", f"/api/spaces/{SPACE}/preupload/main", json={"files": files, "gitIgnore": "*.log\n"}
    ).json()["files"]
    modes = {item["path"]: (item["uploadMode"], item["shouldIgnore"], item.get("oid")) for item in answer}
    text_bin = hashlib.sha256(b"text in a bin\n").hexdigest()
    assert modes == {
        "app.py": ("regular", False, git_blob_sha(client_app(client))),
        "data/old.bin": ("lfs", False, text_bin),  # *.bin: lfs, so the oid is the sha256 of the content
        "weights/model.safetensors": ("lfs", False, None),
        "photo.png": ("lfs", False, None),  # binary sample
        "big.csv": ("lfs", False, None),  # over 10 MiB
        "ten.csv": ("regular", False, None),  # exactly 10 MiB is not over it
        "empty.bin": ("regular", False, None),
        "notes.txt": ("regular", False, git_blob_sha(b"n\n")),
        "debug.log": ("regular", True, None),
    }


def test_multipart_upload_when_the_object_is_large(local_hub: Any, tmp_path: Path) -> None:
    local_hub.store.upload_policy.multipart_threshold = 1024 * 1024
    local_hub.store.upload_policy.multipart_chunk_size = 300 * 1024
    client = api(local_hub)
    client.create_repo(SPACE, repo_type="space", space_sdk="gradio")
    data = pseudo_random(1024 * 1024 + 12345, seed=9)
    source = tmp_path / "weights.bin"
    source.write_bytes(data)
    reset_stats(local_hub)
    client.upload_file(path_or_fileobj=source, path_in_repo="weights.bin", repo_id=SPACE, repo_type="space")
    by_route = stats(local_hub)["by_route"]
    assert by_route.get("PUT /lfs-upload/{oid}/{upload}/{part}") == 4  # ceil(1,060,921 / 307,200)
    assert by_route.get("POST /lfs-upload/{oid}/{upload}") == 1
    assert "PUT /lfs-upload/{oid}" not in by_route
    local = hf_hub_download(
        SPACE, "weights.bin", repo_type="space", endpoint=local_hub.endpoint, token=local_hub.token,
        cache_dir=tmp_path / "dl",
    )  # fmt: skip
    assert Path(local).read_bytes() == data
    assert not [p for p in (local_hub.store.root / "tmp").iterdir()], "parts are removed once assembled"


def test_batch_api_answers_present_objects_without_actions_and_urls_carry_their_own_credential(
    local_hub: Any,
) -> None:
    client = api(local_hub)
    make_gradio_space(client, SPACE, extra_files={"a.bin": b"already here"})
    present = hashlib.sha256(b"already here").hexdigest()
    new = b"new content"
    new_oid = hashlib.sha256(new).hexdigest()
    body = {
        "operation": "upload",
        "transfers": ["basic", "multipart"],
        "objects": [{"oid": present, "size": 12}, {"oid": new_oid, "size": len(new)}, {"oid": "nope", "size": 1}],
        "hash_algo": "sha256",
        "ref": {"name": "main"},
    }
    lfs_headers = {"Accept": "application/vnd.git-lfs+json", "Content-Type": "application/vnd.git-lfs+json"}
    answer = _raw(
        local_hub, "POST", f"/spaces/{SPACE}.git/info/lfs/objects/batch", content=json.dumps(body), headers=lfs_headers
    )
    assert answer.status_code == 200, answer.text
    objects = answer.json()["objects"]
    assert objects[0] == {"oid": present, "size": 12}
    assert objects[2]["error"]["code"] == 422
    upload = objects[1]["actions"]["upload"]["href"]
    verify = objects[1]["actions"]["verify"]["href"]

    with httpx2.Client(timeout=30) as anonymous:
        assert anonymous.post(verify, json={"oid": new_oid, "size": len(new)}).status_code == 401
        tampered = upload.replace(f"size={len(new)}", f"size={len(new) + 1}")
        assert anonymous.put(tampered, content=new + b"!").status_code == 403
        assert anonymous.put(upload, content=b"other bytes").status_code in (413, 422)
        assert not local_hub.store.has_lfs(new_oid)
        assert anonymous.put(upload, content=new).status_code == 200
    assert local_hub.store.lfs_path(new_oid).read_bytes() == new
    verified = _raw(local_hub, "POST", verify.removeprefix(local_hub.endpoint), json={"oid": new_oid, "size": len(new)})
    assert verified.status_code == 200

    # An hour later the URL has expired.
    admin(local_hub, "POST", "clock", {"advance_s": 3601})
    with httpx2.Client(timeout=30) as anonymous:
        late = anonymous.put(upload, content=new)
    assert late.status_code == 403 and "expired" in late.json()["error"]


def test_batch_api_needs_write_access_and_takes_faults_like_every_route(local_hub: Any) -> None:
    client = api(local_hub)
    make_gradio_space(client, SPACE)
    reader = add_token(local_hub, "hf_reader_token_lfs", LOCAL_USER, role="read")
    body = {"operation": "upload", "objects": [{"oid": "a" * 64, "size": 1}]}
    path = f"/spaces/{SPACE}.git/info/lfs/objects/batch"
    with httpx2.Client(timeout=30) as plain:
        anonymous = plain.post(f"{local_hub.endpoint}{path}", json=body)
        as_reader = plain.post(f"{local_hub.endpoint}{path}", json=body, headers={"authorization": f"Bearer {reader}"})
    assert anonymous.status_code == 401
    assert as_reader.status_code == 403
    assert (
        _raw(local_hub, "POST", f"/spaces/{LOCAL_USER}/missing.git/info/lfs/objects/batch", json=body).status_code
        == 404
    )

    admin(local_hub, "POST", "faults", {"error_rate": 1.0, "error_statuses": [418]})
    assert _raw(local_hub, "POST", path, json=body).status_code == 418
    admin(local_hub, "POST", "faults", {"rate_limit": {"requests": 1, "window_s": 60}})
    assert _raw(local_hub, "POST", path, json=body).status_code == 200
    limited = _raw(local_hub, "POST", path, json=body)
    assert limited.status_code == 429 and limited.headers["RateLimit"].startswith('"api";r=0')
    admin(local_hub, "POST", "faults", {})


# ---------------------------------------------------------------------- commits the Hub refuses


def _ndjson(*lines: dict[str, Any]) -> bytes:
    return b"".join(json.dumps(line).encode() + b"\n" for line in lines)


HEADER = {"key": "header", "value": {"summary": "raw", "description": ""}}


def test_commit_of_an_lfs_file_never_uploaded_is_refused(local_hub: Any) -> None:
    client = api(local_hub)
    make_gradio_space(client, SPACE)
    missing = hashlib.sha256(b"never uploaded").hexdigest()
    line = {"key": "lfsFile", "value": {"path": "w.bin", "algo": "sha256", "oid": missing, "size": 14}}
    answer = _raw(
        local_hub, "POST", f"/api/spaces/{SPACE}/commit/main", content=_ndjson(HEADER, line),
        headers={"Content-Type": "application/x-ndjson"},
    )  # fmt: skip
    assert answer.status_code == 400
    assert "LFS pointer pointed to a file that does not exist" in answer.json()["error"]
    assert "- w.bin" in answer.json()["error"]
    assert "w.bin" not in _tree(client)


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (png(), "binary files"),
        (b"a" * (10 * 1024 * 1024 + 1), "larger than 10 MiB"),
    ],
)
def test_binary_or_large_content_sent_inline_is_refused(local_hub: Any, content: bytes, words: str) -> None:
    client = api(local_hub)
    make_gradio_space(client, SPACE)
    line = {
        "key": "file",
        "value": {"path": "x.dat", "encoding": "base64", "content": base64.b64encode(content).decode()},
    }
    answer = _raw(
        local_hub, "POST", f"/api/spaces/{SPACE}/commit/main", content=_ndjson(HEADER, line),
        headers={"Content-Type": "application/x-ndjson"},
    )  # fmt: skip
    assert answer.status_code == 400, answer.text
    assert words in answer.json()["error"] and "- x.dat" in answer.json()["error"]
    assert "x.dat" not in _tree(client)


def test_inline_binary_is_stored_as_a_blob_when_the_switch_says_so(local_hub: Any) -> None:
    client = api(local_hub)
    make_gradio_space(client, SPACE)
    switch(local_hub, inline_binary_refused=False)
    image = png(17)
    line = {
        "key": "file",
        "value": {"path": "x.png", "encoding": "base64", "content": base64.b64encode(image).decode()},
    }
    answer = _raw(
        local_hub, "POST", f"/api/spaces/{SPACE}/commit/main", content=_ndjson(HEADER, line),
        headers={"Content-Type": "application/x-ndjson"},
    )  # fmt: skip
    assert answer.status_code == 200, answer.text
    entry = _tree(client)["x.png"]
    assert entry.lfs is None and entry.blob_id == git_blob_sha(image)


def test_copy_of_an_lfs_file_keeps_the_pointer(local_hub: Any, tmp_path: Path) -> None:
    client = api(local_hub)
    image = png(5)
    make_gradio_space(client, SPACE, extra_files={"a/logo.png": image})
    client.create_commit(
        SPACE,
        [CommitOperationCopy(src_path_in_repo="a/logo.png", path_in_repo="b/logo copy.png")],
        commit_message="copy",
        repo_type="space",
    )
    tree = _tree(client)
    assert tree["b/logo copy.png"].blob_id == tree["a/logo.png"].blob_id == git_blob_sha(pointer(image))
    assert tree["b/logo copy.png"].lfs is not None and tree["b/logo copy.png"].size == len(image)
    assert f"b/logo[[:space:]]copy.png {LFS_LINE}" in _gitattributes(local_hub, tmp_path).splitlines()


def test_a_gitattributes_pattern_in_the_same_commit_covers_the_file(local_hub: Any, tmp_path: Path) -> None:
    client = api(local_hub)
    make_gradio_space(client, SPACE)
    own = "*.png filter=lfs diff=lfs merge=lfs -text\n"
    client.create_commit(
        SPACE,
        [
            CommitOperationAdd(path_in_repo=".gitattributes", path_or_fileobj=own.encode()),
            CommitOperationAdd(path_in_repo="pics/one.png", path_or_fileobj=png(11)),
        ],
        commit_message="own patterns",
        repo_type="space",
    )
    assert _gitattributes(local_hub, tmp_path) == own, "no line appended for a path a pattern covers"
    assert _tree(client)["pics/one.png"].lfs is not None


# ---------------------------------------------------------------------- memory


@pytest.mark.timeout(1800)
@pytest.mark.parametrize("mib", [200, pytest.param(2048, marks=pytest.mark.slow)])
def test_a_large_upload_streams_through_the_server(tmp_path: Path, mib: int) -> None:
    """A large file through the LFS PUT and back through resolve, with the server in its own process:
    its peak resident memory stays far below the file's size (and under 150 MiB)."""
    size = mib * 1024 * 1024
    source = tmp_path / "big.bin"
    digest = hashlib.sha256()
    with open(source, "wb") as out:
        block = pseudo_random(1024 * 1024, seed=3)
        for index in range(size // len(block)):
            chunk = index.to_bytes(8, "big") + block[8:]
            digest.update(chunk)
            out.write(chunk)
    with served_hub(tmp_path / "state") as hub:
        client = api(hub)
        client.create_repo(SPACE, repo_type="space", space_sdk="gradio")
        client.upload_file(path_or_fileobj=source, path_in_repo="big.bin", repo_id=SPACE, repo_type="space")
        target = tmp_path / "download.bin"
        with (
            httpx2.Client(timeout=120) as plain,
            plain.stream(
                "GET",
                f"{hub.endpoint}/spaces/{SPACE}/resolve/main/big.bin",
                headers={"authorization": f"Bearer {hub.token}"},
            ) as response,
            open(target, "wb") as out,
        ):
            for chunk in response.iter_bytes():
                out.write(chunk)
        peak_kib = _peak_rss_kib(hub.pid)
    back = hashlib.sha256()
    with open(target, "rb") as handle:
        while block := handle.read(1024 * 1024):
            back.update(block)
    assert back.hexdigest() == digest.hexdigest()
    assert peak_kib < 150 * 1024, f"server peak RSS {peak_kib} KiB for a {size // 2**20} MiB file"
    shutil.rmtree(tmp_path / "state", ignore_errors=True)


def _peak_rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise AssertionError("no VmHWM in /proc status")


def test_a_duplicated_space_keeps_its_lfs_files_and_info_lists_them(local_hub: Any, tmp_path: Path) -> None:
    client = api(local_hub)
    image = png(13)
    make_gradio_space(client, SPACE, extra_files={"img/logo.png": image})
    client.duplicate_repo(SPACE, f"{LOCAL_USER}/media-copy", repo_type="space")
    copy = _tree(client, f"{LOCAL_USER}/media-copy")
    assert copy["img/logo.png"].blob_id == git_blob_sha(pointer(image))
    assert copy["img/logo.png"].lfs is not None and copy["img/logo.png"].lfs.sha256 == hashlib.sha256(image).hexdigest()
    local = hf_hub_download(
        f"{LOCAL_USER}/media-copy", "img/logo.png", repo_type="space", endpoint=local_hub.endpoint,
        token=local_hub.token, cache_dir=tmp_path / "dl",
    )  # fmt: skip
    assert Path(local).read_bytes() == image
    siblings = {s.rfilename: s for s in client.space_info(SPACE, files_metadata=True).siblings or []}
    lfs = siblings["img/logo.png"].lfs
    assert lfs is not None and lfs.sha256 == hashlib.sha256(image).hexdigest() and lfs.size == len(image)
    assert lfs.pointer_size == len(pointer(image)) and siblings["img/logo.png"].blob_id == git_blob_sha(pointer(image))
    assert siblings["app.py"].lfs is None


def test_model_repos_use_the_batch_url_without_a_type_prefix(local_hub: Any, tmp_path: Path) -> None:
    client = api(local_hub)
    client.create_repo(f"{LOCAL_USER}/weights")
    data = pseudo_random(4096, seed=4)
    reset_stats(local_hub)
    client.upload_file(path_or_fileobj=data, path_in_repo="model.safetensors", repo_id=f"{LOCAL_USER}/weights")
    by_route = stats(local_hub)["by_route"]
    assert (
        by_route.get("POST /{id}/info/lfs/objects/batch") == 1
        and by_route.get("POST /{id}/info/lfs/objects/verify") == 1
    )
    local = hf_hub_download(
        f"{LOCAL_USER}/weights", "model.safetensors", endpoint=local_hub.endpoint, token=local_hub.token,
        cache_dir=tmp_path / "dl",
    )  # fmt: skip
    assert Path(local).read_bytes() == data
