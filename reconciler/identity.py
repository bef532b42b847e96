"""Content identity of local files: git blob id and sha256 in one streaming pass, cached.

The Hub names a regular file by its git blob id and an LFS/Xet file by the sha256 of its
content (hub-contract §8.2, §11), so every local file gets both; which one is compared
is decided by the remote entry (RemoteFile.holds). Files are read in 1 MiB chunks, never
whole. Large files are remembered by (path, size, mtime_ns, inode) on disk so a plan does
not hash a 2 GB model again when nothing touched it; small files cost less to hash than
to look up.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import threading
import time
from pathlib import Path

from reconciler.model import ContentId

CHUNK = 1 << 20
# Files at least this large are remembered between runs.
CACHED_FROM_BYTES = 1 << 20
# A file modified this recently may be modified again within the same mtime tick: never
# remember it (git's "racy clean" problem).
RACY_SECONDS = 2.0
CACHE_FORMAT = 1
# The first line of every Git LFS pointer file (git-lfs spec, also hub-contract §8.2).
LFS_POINTER_PREFIX = b"version https://git-lfs.github.com/spec/v1"
# git-lfs writes pointers of about 130 bytes and its spec caps them at 1024.
LFS_POINTER_MAX_BYTES = 1024


def of_bytes(data: bytes) -> ContentId:
    blob = hashlib.sha1(b"blob %d\0" % len(data))
    blob.update(data)
    return ContentId(blob_id=blob.hexdigest(), sha256=hashlib.sha256(data).hexdigest(), size=len(data))


def _hash_file(path: str) -> ContentId:
    size = os.path.getsize(path)
    blob = hashlib.sha1(b"blob %d\0" % size)
    sha = hashlib.sha256()
    read = 0
    with open(path, "rb") as handle:
        while chunk := handle.read(CHUNK):
            blob.update(chunk)
            sha.update(chunk)
            read += len(chunk)
    if read != size:
        raise OSError(f"{path} changed size while it was read")
    return ContentId(blob_id=blob.hexdigest(), sha256=sha.hexdigest(), size=size)


def looks_like_lfs_pointer(path: str, size: int) -> bool:
    """Whether the file is a Git LFS pointer (a checkout made without LFS), not content."""
    if size > LFS_POINTER_MAX_BYTES:
        return False
    with open(path, "rb") as handle:
        return handle.read(len(LFS_POINTER_PREFIX)) == LFS_POINTER_PREFIX


class HashCache:
    """(path, size, mtime_ns, inode) -> ContentId for large files, kept in one JSON file.

    `file` None keeps entries in memory only. The file carries a format number; another
    format, or anything unreadable, is ignored (the files are hashed again), never misread.
    """

    def __init__(self, file: Path | None) -> None:
        self.file = file
        self._lock = threading.Lock()
        self._entries: dict[str, list[object]] = self._load()
        self._dirty = False
        self.hashed = 0

    def _load(self) -> dict[str, list[object]]:
        if self.file is None:
            return {}
        try:
            data = json.loads(self.file.read_text("utf-8"))
        except (OSError, ValueError):
            return {}
        if not isinstance(data, dict) or data.get("format") != CACHE_FORMAT or not isinstance(data.get("files"), dict):
            return {}
        return {k: v for k, v in data["files"].items() if isinstance(v, list) and len(v) == 5}

    def content_id(self, path: str) -> ContentId:
        stat = os.stat(path)
        key = os.path.abspath(path)
        stamp = [stat.st_size, stat.st_mtime_ns, stat.st_ino]
        with self._lock:
            known = self._entries.get(key)
        if known is not None and known[:3] == stamp:
            blob_id, sha256 = known[3], known[4]
            if isinstance(blob_id, str) and isinstance(sha256, str):
                return ContentId(blob_id=blob_id, sha256=sha256, size=stat.st_size)
        found = _hash_file(path)
        self.hashed += 1
        racy = time.time() - stat.st_mtime_ns / 1e9 < RACY_SECONDS
        if found.size >= CACHED_FROM_BYTES and found.size == stat.st_size and not racy:
            with self._lock:
                self._entries[key] = [*stamp, found.blob_id, found.sha256]
                self._dirty = True
        return found

    def save(self) -> None:
        """Write the entries atomically; a failure only costs hashing again next time."""
        with self._lock:
            if self.file is None or not self._dirty:
                return
            body = json.dumps({"format": CACHE_FORMAT, "files": self._entries}, separators=(",", ":"))
            self._dirty = False
        try:
            self.file.parent.mkdir(parents=True, exist_ok=True)
            handle, tmp = tempfile.mkstemp(dir=self.file.parent, suffix=".tmp")
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                out.write(body)
            os.replace(tmp, self.file)
        except OSError:
            pass
