"""The files of an app folder, with git blob ids, computed once per (folder, exclude).

A source folder comes from a manifest, which may come from a pull request: nothing
outside the repository may end up in a Space, so symlinks that leave the repository are
refused rather than followed.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pathspec

from reconciler.manifests.card import split_front_matter
from reconciler.model import SourceFile

README = "README.md"
_CHUNK = 1 << 20


def blob_id(content: bytes) -> str:
    """The git blob id: sha1 of `blob <size>\\0` + content (what the Hub reports as oid)."""
    digest = hashlib.sha1(b"blob %d\0" % len(content))
    digest.update(content)
    return digest.hexdigest()


def _file_blob_id(path: str) -> tuple[str, int]:
    size = os.path.getsize(path)
    digest = hashlib.sha1(b"blob %d\0" % size)
    with open(path, "rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest(), size


def is_inside(path: str | Path, root: str) -> bool:
    real = os.path.realpath(path)
    return real == root or real.startswith(root.rstrip(os.sep) + os.sep)


@dataclass(frozen=True)
class Listing:
    """An app folder as the Space will get it (README.md apart: it is generated)."""

    files: tuple[SourceFile, ...]
    paths: frozenset[str]
    readme_front_matter: dict[str, Any] | None
    readme_body: str | None  # None when the folder has no README.md
    readme_raw: bytes | None  # the file as it is, used when its front matter is exactly the generated one
    requirements: tuple[str, ...]  # lines of requirements.txt, () when absent
    problems: tuple[str, ...]  # refused entries (symlinks leaving the repository, loops)


class SourceCache:
    def __init__(self, repo_root: str) -> None:
        self.root = os.path.realpath(repo_root)
        self._cache: dict[tuple[str, tuple[str, ...]], Listing] = {}
        self._inside: dict[str, bool] = {}

    def inside(self, path: Path) -> bool:
        key = str(path)
        known = self._inside.get(key)
        if known is None:
            known = self._inside[key] = is_inside(path, self.root)
        return known

    def listing(self, folder: Path, exclude: tuple[str, ...]) -> Listing:
        key = (os.path.abspath(folder), exclude)
        cached = self._cache.get(key)
        if cached is None:
            cached = self._cache[key] = self._list(key[0], exclude)
        return cached

    def _list(self, folder: str, exclude: tuple[str, ...]) -> Listing:
        spec = pathspec.GitIgnoreSpec.from_lines([".git/", *exclude])
        found: list[tuple[str, str]] = []
        problems: list[str] = []
        self._walk(folder, "", spec, found, problems, {os.path.realpath(folder)})
        files: list[SourceFile] = []
        readme_text: str | None = None
        requirements: tuple[str, ...] = ()
        for rel, absolute in sorted(found):
            if rel == README:
                readme_text = Path(absolute).read_text(encoding="utf-8", errors="replace")
                continue
            if rel == "requirements.txt":
                requirements = tuple(Path(absolute).read_text(encoding="utf-8", errors="replace").splitlines())
            oid, size = _file_blob_id(absolute)
            files.append(SourceFile(path=rel, blob_id=oid, size=size, local_path=absolute))
        front, body = split_front_matter(readme_text) if readme_text is not None else (None, None)
        return Listing(
            files=tuple(files),
            paths=frozenset(f.path for f in files),
            readme_front_matter=front,
            readme_body=body,
            readme_raw=readme_text.encode("utf-8") if readme_text is not None else None,
            requirements=requirements,
            problems=tuple(problems),
        )

    def _walk(
        self,
        directory: str,
        prefix: str,
        spec: pathspec.GitIgnoreSpec,
        found: list[tuple[str, str]],
        problems: list[str],
        visiting: set[str],
    ) -> None:
        try:
            entries = sorted(os.scandir(directory), key=lambda e: e.name)
        except OSError as problem:
            problems.append(f"cannot read folder {prefix or '.'}: {problem.strerror}")
            return
        for entry in entries:
            rel = prefix + entry.name
            target = entry.path
            if spec.match_file(rel) or spec.match_file(rel + "/"):
                continue
            if entry.is_symlink():
                target = os.path.realpath(entry.path)
                if not is_inside(target, self.root):
                    problems.append(f"{rel} is a symlink to a path outside the repository; refusing to upload it")
                    continue
            if os.path.isdir(target):
                real = os.path.realpath(target)
                if real in visiting:
                    problems.append(f"{rel} is a symlink loop; skipping it")
                    continue
                self._walk(target, rel + "/", spec, found, problems, visiting | {real})
            elif os.path.isfile(target):
                found.append((rel, os.path.abspath(entry.path)))
