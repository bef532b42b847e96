"""File identity: a remote LFS/Xet entry is compared by sha256 and size, a regular one by blob id.

Tree entries are built from JSON shaped like hub-contract §9 and parsed by the client's own
RepoFile, and the pointer's blob id is computed here by hand from the pointer's bytes.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from pathlib import Path

import pytest
from huggingface_hub.hf_api import RepoFile

from reconciler import identity
from reconciler.diff import compare_files
from reconciler.hub.cache import TreeCache
from reconciler.hub.observe import remote_file
from reconciler.model import RemoteFile
from tests.builders import desired, observed_like

PNG = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR" + bytes(range(256)) * 4


def git_blob(data: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def pointer(data: bytes) -> bytes:
    sha = hashlib.sha256(data).hexdigest()
    return f"version https://git-lfs.github.com/spec/v1\noid sha256:{sha}\nsize {len(data)}\n".encode()


def lfs_entry(path: str, data: bytes, xet: bool = True) -> RemoteFile:
    """What tree / paths-info answer for a file stored with LFS (or Xet), through the client's parser."""
    item: dict[str, object] = {
        "type": "file",
        "path": path,
        "oid": git_blob(pointer(data)),
        "size": len(data),
        "lfs": {"oid": hashlib.sha256(data).hexdigest(), "size": len(data), "pointerSize": len(pointer(data))},
    }
    if xet:
        item["xetHash"] = "ab" * 32
    return remote_file(RepoFile(**item))


def regular_entry(path: str, data: bytes) -> RemoteFile:
    return remote_file(RepoFile(type="file", path=path, oid=git_blob(data), size=len(data)))


def test_lfs_entry_with_the_same_content_is_unchanged() -> None:
    want = desired(files={"app.py": "print('hi')\n", "logo.png": PNG.decode("latin-1")})
    content = want.files[1].content
    assert content is not None
    live = observed_like(want, files=(regular_entry("app.py", b"print('hi')\n"), lfs_entry("logo.png", content)))
    assert live.files[1].blob_id != want.files[1].blob_id  # the pointer's id, not the content's
    assert not compare_files(want, live)


@pytest.mark.parametrize("xet", [True, False])
def test_lfs_entry_with_other_content_is_modified(xet: bool) -> None:
    want = desired(files={"logo.png": PNG.decode("latin-1")})
    live = observed_like(want, files=(lfs_entry("logo.png", PNG + b"x", xet=xet),))
    assert [f.path for f in compare_files(want, live).modified] == ["logo.png"]


def test_lfs_entry_with_the_same_sha256_but_another_size_is_modified() -> None:
    want = desired(files={"w.bin": "abc"})
    entry = lfs_entry("w.bin", b"abc")
    assert entry.lfs is not None
    live = observed_like(want, files=(entry.model_copy(update={"lfs": entry.lfs.model_copy(update={"size": 4})}),))
    assert compare_files(want, live).modified


def test_regular_entry_of_a_file_the_hub_would_now_store_with_lfs_is_unchanged() -> None:
    # The same bytes stored as a plain git blob (an older upload): nothing to do; a changed
    # file is uploaded in whatever mode the Hub picks and then compared by sha256.
    want = desired(files={"logo.png": PNG.decode("latin-1")})
    content = want.files[0].content
    assert content is not None
    assert not compare_files(want, observed_like(want, files=(regular_entry("logo.png", content),)))


def test_content_id_streams_both_hashes(tmp_path: Path) -> None:
    data = os.urandom(3 * identity.CHUNK + 17)
    (tmp_path / "w.bin").write_bytes(data)
    found = identity.HashCache(None).content_id(str(tmp_path / "w.bin"))
    assert found == identity.of_bytes(data)
    assert found.sha256 == hashlib.sha256(data).hexdigest() and found.blob_id == git_blob(data)


def test_hash_cache_remembers_large_files_by_stat(tmp_path: Path) -> None:
    big = tmp_path / "w.bin"
    big.write_bytes(b"a" * identity.CACHED_FROM_BYTES)
    past = time.time() - 60
    os.utime(big, (past, past))
    cache_file = tmp_path / "cache" / "hashes.json"
    first = identity.HashCache(cache_file)
    found = first.content_id(str(big))
    first.save()
    again = identity.HashCache(cache_file)
    assert again.content_id(str(big)) == found and again.hashed == 0
    big.write_bytes(b"b" * identity.CACHED_FROM_BYTES)  # same size, new mtime
    os.utime(big, (past + 1, past + 1))
    changed = identity.HashCache(cache_file).content_id(str(big))
    assert changed != found and changed == identity.of_bytes(b"b" * identity.CACHED_FROM_BYTES)


def test_hash_cache_ignores_another_format_and_racy_files(tmp_path: Path) -> None:
    big = tmp_path / "w.bin"
    big.write_bytes(b"a" * identity.CACHED_FROM_BYTES)
    stat = big.stat()
    cache_file = tmp_path / "hashes.json"
    key = os.path.abspath(big)
    wrong = [stat.st_size, stat.st_mtime_ns, stat.st_ino, "0" * 40, "0" * 64]
    cache_file.write_text(json.dumps({"format": 0, "files": {key: wrong}}))
    cache = identity.HashCache(cache_file)
    assert cache.content_id(str(big)).blob_id == git_blob(big.read_bytes())
    cache.save()
    later = identity.HashCache(cache_file)  # modified just now: not remembered, hashed again
    later.content_id(str(big))
    assert later.hashed == 1


def test_tree_cache_keeps_lfs_fields(tmp_path: Path) -> None:
    cache = TreeCache(tmp_path)
    files = (regular_entry("app.py", b"x\n"), lfs_entry("logo.png", PNG), lfs_entry("w.bin", b"w", xet=False))
    cache.put("a" * 40, files)
    assert TreeCache(tmp_path).get("a" * 40) == files


def test_tree_cache_ignores_an_entry_of_the_previous_format(tmp_path: Path) -> None:
    # Format 1 stored [path, blob id, size]: an LFS file's blob id is its pointer's, and
    # reading it back without the lfs fields would compare pointer ids forever.
    sha = "b" * 40
    (tmp_path / sha[:2]).mkdir()
    (tmp_path / sha[:2] / f"{sha}.json").write_text(json.dumps([["logo.png", git_blob(pointer(PNG)), len(PNG)]]))
    cache = TreeCache(tmp_path)
    assert cache.get(sha) is None
    (tmp_path / sha[:2] / f"{sha}.v2.json").write_text(json.dumps({"format": 1, "files": []}))
    assert cache.get(sha) is None


def test_lfs_pointer_is_recognised(tmp_path: Path) -> None:
    (tmp_path / "p.bin").write_bytes(pointer(PNG))
    (tmp_path / "real.bin").write_bytes(PNG)
    assert identity.looks_like_lfs_pointer(str(tmp_path / "p.bin"), len(pointer(PNG)))
    assert not identity.looks_like_lfs_pointer(str(tmp_path / "real.bin"), len(PNG))


def test_tree_cache_shares_equal_entries_across_trees(tmp_path: Path) -> None:
    # A fleet from one app folder has the same entries in every Space's tree: one object each.
    common = (regular_entry("app.py", b"x\n"), lfs_entry("logo.png", PNG))
    writer = TreeCache(tmp_path)
    writer.put("c" * 40, (*common, regular_entry("README.md", b"one\n")))
    writer.put("d" * 40, (*common, regular_entry("README.md", b"two\n")))
    reader = TreeCache(tmp_path)
    first, second = reader.get("c" * 40), reader.get("d" * 40)
    assert first is not None and second is not None
    assert all(a is b for a, b in zip(first[:2], second[:2], strict=True))
    assert first[2] is not second[2] and first[2] != second[2]
    # A tree read from the Hub goes through the same table (read_tree calls entry).
    for fetched, cached in zip(common, first[:2], strict=True):
        lfs = (fetched.lfs.sha256, fetched.lfs.size, fetched.lfs.pointer_size) if fetched.lfs else None
        assert reader.entry(fetched.path, fetched.blob_id, fetched.size, lfs, fetched.xet_hash) is cached
    other = regular_entry("other.py", b"x\n")
    assert reader.entry(other.path, other.blob_id, other.size, None, other.xet_hash).path == "other.py"
