"""On-disk cache of commit file trees. A commit's tree never changes, so entries never expire."""

from __future__ import annotations

import json
import os
import re
import tempfile
from pathlib import Path

from reconciler.model import RemoteFile

_SHA = re.compile(r"^[0-9a-f]{40}$")


class TreeCache:
    """Trees keyed by commit sha under `directory` (default .reconcile/cache/trees/).

    Safe to keep between CI runs and to share between jobs: writes are atomic renames.
    """

    def __init__(self, directory: Path | None) -> None:
        self.directory = directory
        self.hits = 0
        self.misses = 0

    def _path(self, sha: str) -> Path | None:
        if self.directory is None or not _SHA.match(sha):
            return None
        return self.directory / sha[:2] / f"{sha}.json"

    def get(self, sha: str) -> tuple[RemoteFile, ...] | None:
        path = self._path(sha)
        try:
            rows = json.loads(path.read_text("utf-8")) if path else None
        except (OSError, ValueError):
            rows = None
        if rows is None:
            self.misses += 1
            return None
        self.hits += 1
        return tuple(RemoteFile(path=p, blob_id=b, size=s) for p, b, s in rows)

    def put(self, sha: str, files: tuple[RemoteFile, ...]) -> None:
        path = self._path(sha)
        if path is None:
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        rows = [[f.path, f.blob_id, f.size] for f in files]
        handle, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            json.dump(rows, out, separators=(",", ":"))
        os.replace(tmp, path)
