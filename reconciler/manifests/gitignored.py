"""Whether git would ignore a path of the repository: the files a fleet keeps out of git.

Secret files live in git-ignored places (a `secrets/` folder the repository's .gitignore
lists), and a pull request can neither add nor change a file there. So a path's being
ignored is something a manifest of the pull request cannot fake, unlike its own list of
`fromFile` secrets, which it can edit or hide with `.reconcileignore`. Two rules rest on it
(README "Security"): a symlink in a source folder is never followed to an ignored file, and
a `fromFile` secret must be one (a file git tracks is in the repository for anyone to read,
and its "value" would be chosen by whoever wrote the file).

git's rules, as gitignore(5) states them: every `.gitignore` from the repository root down
to the path's folder, a deeper one overriding a shallower one and, within one file, the last
matching pattern winning; then `.git/info/exclude`; a path under an ignored folder is
ignored whatever a later pattern re-includes. The user's global excludes file
(core.excludesFile) is not read: a file ignored only there counts as not ignored, which is
the refusing side of both rules.
"""

from __future__ import annotations

import os
from pathlib import Path

import pathspec

from reconciler.files import read_small
from reconciler.workspace import repository_root

GITIGNORE = ".gitignore"
MAX_IGNORE_BYTES = 1 << 20


class Ignores:
    """The ignore rules of one repository, each `.gitignore` read once and each folder's verdict
    kept: a source folder of thousands of files asks about each."""

    def __init__(self, root: str) -> None:
        self.root = root
        self._specs: dict[str, pathspec.GitIgnoreSpec | None] = {}
        self._folders: dict[tuple[str, ...], bool] = {}

    @classmethod
    def of(cls, root: str) -> Ignores | None:
        """The rules of the repository at `root`; None when it is not a git work tree."""
        return cls(root) if os.path.lexists(os.path.join(root, ".git")) else None

    def ignored(self, real: str) -> bool:
        """Whether git ignores the file at the resolved path `real` (every caller asks about files)."""
        parts = tuple(os.path.relpath(real, self.root).split(os.sep))
        # An ignored folder takes everything under it, whatever a later pattern re-includes.
        if any(self._folder(parts[:depth]) for depth in range(1, len(parts))):
            return True
        return self._decides(parts, is_folder=False)

    def _folder(self, parts: tuple[str, ...]) -> bool:
        known = self._folders.get(parts)
        if known is None:
            known = self._folders[parts] = self._decides(parts, is_folder=True)
        return known

    def _decides(self, parts: tuple[str, ...], is_folder: bool) -> bool:
        for level in range(len(parts) - 1, -1, -1):  # the deepest .gitignore first
            verdict = _verdict(self._spec(os.path.join(self.root, *parts[:level], GITIGNORE)), parts[level:], is_folder)
            if verdict is not None:
                return verdict
        return bool(_verdict(self._spec(os.path.join(self.root, ".git", "info", "exclude")), parts, is_folder))

    def _spec(self, path: str) -> pathspec.GitIgnoreSpec | None:
        if path not in self._specs:
            self._specs[path] = _read_spec(path)
        return self._specs[path]


def _verdict(spec: pathspec.GitIgnoreSpec | None, parts: tuple[str, ...], is_folder: bool) -> bool | None:
    if spec is None:
        return None
    path = "/".join(parts) + ("/" if is_folder else "")
    return spec.check_file(path).include


def _read_spec(path: str) -> pathspec.GitIgnoreSpec | None:
    try:
        text = read_small(path, MAX_IGNORE_BYTES).decode("utf-8", errors="replace")
    except OSError:
        return None
    return pathspec.GitIgnoreSpec.from_lines(text.splitlines())


def written_in_the_repository(path: str, known: dict[str, Ignores | None]) -> bool:
    """Whether `path` is a file the repository itself may hold (inside a git work tree and not
    ignored): such a file comes with the checkout, a pull request can write it. `known` keeps
    each repository's rules for the next path."""
    real = os.path.realpath(path)
    root = str(repository_root(Path(real).parent))
    if root not in known:
        known[root] = Ignores.of(root)
    ignores = known[root]
    return ignores is not None and not ignores.ignored(real)
