"""Git object ids and repository path rules, as the Hub computes and enforces them."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable


def blob_oid(data: bytes) -> str:
    """The id `git hash-object` gives: the Hub reports it as tree `oid`, preupload `oid` and ETag."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def lfs_pointer(sha256: str, size: int) -> bytes:
    """The git-lfs pointer file git stores for LFS content (git-lfs spec v1; hub-contract §8.2)."""
    return f"version https://git-lfs.github.com/spec/v1\noid sha256:{sha256}\nsize {size}\n".encode()


def tree_oid(entries: Iterable[tuple[str, str]]) -> str:
    """A stable id for a directory listing of (relative path, blob oid) pairs."""
    digest = hashlib.sha1(b"tree")
    for path, oid in sorted(entries):
        digest.update(f"\n{path} {oid}".encode())
    return digest.hexdigest()


def commit_oid(parent: str | None, tree: str, message: str, author: str, timestamp: float, nonce: str) -> str:
    # The nonce keeps two otherwise identical commits (same parent, files, instant) distinct.
    text = f"tree {tree}\nparent {parent or ''}\nauthor {author} {timestamp:.6f}\nnonce {nonce}\n\n{message}"
    return hashlib.sha1(text.encode()).hexdigest()


def is_sha256(value: str) -> bool:
    return len(value) == 64 and all(c in "0123456789abcdef" for c in value)


def is_full_sha(value: str) -> bool:
    return len(value) == 40 and all(c in "0123456789abcdef" for c in value)


def path_problem(path: str) -> str | None:
    """Why `path` cannot be a file path in a repository, or None when it can."""
    if not path:
        return "empty path"
    if path.startswith("/") or "\\" in path:
        return f"path must be relative and use '/' separators: {path!r}"
    parts = path.split("/")
    if any(part in ("", ".", "..") for part in parts):
        return f"path must not contain empty, '.' or '..' segments: {path!r}"
    if parts[0] == ".git":
        return f"path must not be inside .git: {path!r}"
    if any(ord(c) < 32 for c in path):
        return f"path must not contain control characters: {path!r}"
    return None
