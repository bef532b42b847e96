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

import pathspec

from reconciler.files import read_small

GITIGNORE = ".gitignore"
MAX_IGNORE_BYTES = 1 << 20


def is_ignored(real: str, root: str) -> bool:
    """Whether git ignores the resolved path `real`, inside the repository at `root`."""
    relative = os.path.relpath(real, root)
    parts = relative.split(os.sep)
    # An ignored folder takes everything under it: check each ancestor, then the path.
    for depth in range(1, len(parts) + 1):
        if _decides(root, parts[:depth], is_folder=depth < len(parts) or os.path.isdir(real)):
            return True
    return False


def _decides(root: str, parts: list[str], is_folder: bool) -> bool:
    for level in range(len(parts) - 1, -1, -1):  # the deepest .gitignore first
        spec = _spec(os.path.join(root, *parts[:level], GITIGNORE))
        verdict = _verdict(spec, parts[level:], is_folder)
        if verdict is not None:
            return verdict
    verdict = _verdict(_spec(os.path.join(root, ".git", "info", "exclude")), parts, is_folder)
    return bool(verdict)


def _verdict(spec: pathspec.GitIgnoreSpec | None, parts: list[str], is_folder: bool) -> bool | None:
    if spec is None:
        return None
    path = "/".join(parts) + ("/" if is_folder else "")
    return spec.check_file(path).include


def _spec(path: str) -> pathspec.GitIgnoreSpec | None:
    try:
        text = read_small(path, MAX_IGNORE_BYTES).decode("utf-8", errors="replace")
    except OSError:
        return None
    return pathspec.GitIgnoreSpec.from_lines(text.splitlines())


def in_git_work_tree(root: str) -> bool:
    return os.path.lexists(os.path.join(root, ".git"))


def written_in_the_repository(path: str) -> bool:
    """Whether `path` is a file the repository itself may hold (inside a git work tree and not
    ignored): such a file comes with the checkout, a pull request can write it."""
    real = os.path.realpath(path)
    folder = os.path.dirname(real)
    while True:
        if in_git_work_tree(folder):
            return not is_ignored(real, folder)
        parent = os.path.dirname(folder)
        if parent == folder:
            return False
        folder = parent
