"""On-disk cache of commit file trees. A commit's tree never changes, so entries never expire."""

from __future__ import annotations

import json
import os
import re
import sys
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from reconciler.model import LfsInfo, RemoteFile

_SHA = re.compile(r"^[0-9a-f]{40}$")
# Bumped whenever what an entry holds changes. Each format has its own file name, so a cache
# shared with an older version of the tool is ignored by both sides, never misread: format 1
# (`<sha>.json`, [path, blob id, size]) had no LFS fields and would compare pointer ids.
FORMAT = 2


class TreeCache:
    """Trees keyed by commit sha under `directory` (default .reconcile/cache/trees/).

    Safe to keep between CI runs and to share between jobs: writes are atomic renames. An entry
    is either read from the Hub, or `derived`: computed by apply from the commit it made (its
    parent's tree and what it sent). A plan trusts a derived tree to say nothing changed; before
    it writes on one, it reads the real tree (pipeline.make_plan), which replaces the entry.
    """

    def __init__(self, directory: Path | None) -> None:
        self.directory = directory
        # One RemoteFile per distinct entry: a fleet built from one app folder has the same files
        # in every Space, so a plan of N Spaces holds each entry once, not N times (P6).
        self._entries: dict[tuple[Any, ...], RemoteFile] = {}
        # One tuple per distinct tree: Spaces whose trees are identical (same entries) share it.
        self._trees: dict[tuple[RemoteFile, ...], tuple[RemoteFile, ...]] = {}

    def entry(self, path: str, blob_id: str, size: int, lfs: Sequence[Any] | None, xet_hash: str | None) -> RemoteFile:
        """The one RemoteFile with these fields (`lfs`: sha256, size, pointer size), built only
        the first time: a tree read again for every Space of a fleet validates no model."""
        key = (path, blob_id, size, xet_hash, *(lfs if lfs is not None else ()))
        file = self._entries.get(key)
        if file is None:
            info = LfsInfo(sha256=lfs[0], size=lfs[1], pointer_size=lfs[2]) if lfs is not None else None
            # A path repeats in every Space even where the content differs (README.md).
            file = self._entries.setdefault(
                key, RemoteFile(path=sys.intern(path), blob_id=blob_id, size=size, lfs=info, xet_hash=xet_hash)
            )
        return file

    def tree(self, files: tuple[RemoteFile, ...]) -> tuple[RemoteFile, ...]:
        """The one tuple equal to `files` (entries from `entry`) this cache has handed out."""
        return self._trees.setdefault(files, files)

    def _path(self, sha: str) -> Path | None:
        if self.directory is None or not _SHA.match(sha):
            return None
        return self.directory / sha[:2] / f"{sha}.v{FORMAT}.json"

    def get(self, sha: str) -> tuple[RemoteFile, ...] | None:
        found = self.lookup(sha)
        return found[0] if found is not None else None

    def lookup(self, sha: str) -> tuple[tuple[RemoteFile, ...], bool] | None:
        """(files, derived) of the entry for `sha`, or None."""
        path = self._path(sha)
        try:
            data = json.loads(path.read_text("utf-8")) if path else None
            decoded = _decode(data, self.entry) if data is not None else None
            files = self.tree(decoded) if decoded is not None else None
        except (OSError, ValueError, TypeError, KeyError):
            files = None
        return None if files is None else (files, isinstance(data, dict) and data.get("derived") is True)

    def put(self, sha: str, files: tuple[RemoteFile, ...], *, derived: bool = False) -> None:
        path = self._path(sha)
        if path is None:
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        data: dict[str, Any] = {"format": FORMAT, "files": [_encode(f) for f in files]}
        if derived:
            data["derived"] = True
        # dumps, not dump: json.dump streams through the pure-Python encoder, about ten times
        # slower than the C one dumps uses, and a plan writes one entry per Space it reads.
        text = json.dumps(data, separators=(",", ":"))
        handle, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
        os.replace(tmp, path)


def _encode(file: RemoteFile) -> list[Any]:
    lfs = [file.lfs.sha256, file.lfs.size, file.lfs.pointer_size] if file.lfs else None
    return [file.path, file.blob_id, file.size, lfs, file.xet_hash]


def _decode(data: Any, entry: Callable[..., RemoteFile]) -> tuple[RemoteFile, ...] | None:
    """The files of a cache entry, or None when it is not of this format (then read again).
    Each file is the cache's shared one (TreeCache.entry)."""
    if not isinstance(data, dict) or data.get("format") != FORMAT or not isinstance(data.get("files"), list):
        return None
    return tuple(entry(path, blob_id, size, lfs, xet_hash) for path, blob_id, size, lfs, xet_hash in data["files"])
