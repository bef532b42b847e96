"""The files of an app folder, with their content ids, computed once per (folder, exclude).

A source folder comes from a manifest, which may come from a pull request, so what it may
publish is bounded (README "Security"): nothing under a `.git` is listed; a symlink is
followed only to a regular file inside the repository, outside any `.git` and not ignored
by git, or to a folder inside the source folder itself; anything else is refused, naming
the link. Files that back secrets, and hard links to files of `.git`, are refused by the
loader once every manifest is read (`UploadGuard`), and again by `ListedFile.pinned` at
the moment a file is handed over for upload, which also fixes the file the client reads.

The listing is the folder as the Hub will keep it: files its root `.gitignore` matches are
left out (the Hub drops them), its `.gitattributes` gets the lines the Hub would otherwise
append (reconciler.manifests.hubfiles), and a Git LFS pointer file (a checkout made without
LFS) is refused instead of being published as content.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import stat
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

import pathspec
from pydantic import PrivateAttr

from reconciler import identity
from reconciler.errors import SourceFileRefused
from reconciler.files import NotARegularFile, open_private, open_regular
from reconciler.manifests import gitignored, hubfiles
from reconciler.manifests.card import split_front_matter
from reconciler.model import ContentId, SourceFile
from reconciler.workspace import STATE_DIR_NAME, private

README = "README.md"
# Large files' content ids, remembered between runs (reconciler.identity.HashCache), under the
# repository's .reconcile/ like the tree cache.
HASH_CACHE_FILE = Path(STATE_DIR_NAME) / "cache" / "hashes.json"


def blob_id(content: bytes) -> str:
    """The git blob id: sha1 of `blob <size>\\0` + content (what the Hub reports as oid)."""
    digest = hashlib.sha1(b"blob %d\0" % len(content))
    digest.update(content)
    return digest.hexdigest()


def generated(path: str, content: bytes) -> SourceFile:
    """A file made by the tool (README.md, .gitattributes), not read from the folder."""
    found = identity.of_bytes(content)
    return SourceFile(path=path, blob_id=found.blob_id, sha256=found.sha256, size=found.size, content=content)


def is_inside(path: str | Path, root: str) -> bool:
    real = os.path.realpath(path)
    return real == root or real.startswith(root.rstrip(os.sep) + os.sep)


def in_git_dir(real: str, root: str) -> bool:
    """Is the resolved path `real` inside (or equal to) a `.git` of the repository at `root`?"""
    relative = os.path.relpath(real, root)
    return not relative.startswith("..") and GIT in relative.split(os.sep)


GIT = ".git"


class UploadRefused(SourceFileRefused):
    """A file the upload rules forbid was about to be read for upload."""


@dataclass(eq=True)
class UploadGuard:
    """The upload rules of one load: the repository root and every file backing a secret.

    One instance is shared by every file of a load and filled while manifests are read, so
    by the time anything is uploaded it knows the secrets of every manifest. Equal guards
    (same root, same secret files) compare equal, so two loads of one repository do too.
    """

    root: str
    secret_files: set[str] = field(default_factory=set)
    _git_files: set[tuple[int, int]] | None = field(default=None, compare=False, repr=False)
    _uploads_ready: bool = field(default=False, compare=False, repr=False)

    def add_secret_file(self, real: str) -> None:
        self.secret_files.add(real)

    def is_secret(self, real: str, identity: tuple[int, int] | None = None) -> bool:
        if real in self.secret_files:
            return True
        if identity is None:
            return False
        # A second name for the same file (a hard link) is the same secret.
        return identity in self._secret_identities()

    def _secret_identities(self) -> set[tuple[int, int]]:
        found = set()
        for path in self.secret_files:
            try:
                info = os.stat(path)
            except OSError:
                continue
            found.add((info.st_dev, info.st_ino))
        return found

    def is_git_file(self, info: os.stat_result) -> bool:
        """Whether the file `info` describes is a file of the repository's .git under another name
        (a hard link). A file with one name is not: the .git is walked only for one with several."""
        if info.st_nlink < 2:
            return False
        if self._git_files is None:
            self._git_files = git_file_identities(self.root)
        return (info.st_dev, info.st_ino) in self._git_files

    def read(self, file: ListedFile) -> bytes:
        """The file's bytes, re-checked now: it may have been swapped since it was listed."""
        with self._checked_open(file) as handle:
            return handle.read()

    def pin(self, file: ListedFile, stack: contextlib.ExitStack) -> str:
        """A path that names the very file checked now, for as long as `stack` is open.

        The client opens an upload by path, several times (hashing, preupload sample, LFS or
        Xet transfer, inline content), so checking the path and handing it over would leave a
        window in which the path is swapped for a link to a secret. Instead the checked file
        is hard-linked into a private folder of `.reconcile/` (same inode, no copy; verified),
        or, where a hard link cannot be made (another file system, a file system without
        them), copied there from the open, checked descriptor. Nobody else can rename
        anything in that folder (mode 0700), so every later open reads the checked file."""
        with self._checked_open(file) as handle:
            checked = os.fstat(handle.fileno())
            directory = tempfile.mkdtemp(prefix="upload-", dir=self._uploads())
            stack.callback(shutil.rmtree, directory, True)
            pinned = os.path.join(directory, "file")
            if not _linked(file.real_path, pinned, (checked.st_dev, checked.st_ino)):
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(pinned)
                with open_private(Path(pinned), "xb") as target:  # O_EXCL: never through a link
                    shutil.copyfileobj(handle, target, 1 << 20)
            return pinned

    def _uploads(self) -> str:
        folder = os.path.join(self.root, STATE_DIR_NAME, "uploads")
        if not self._uploads_ready:
            private(Path(self.root) / STATE_DIR_NAME)
            private(Path(folder))
            _remove_stale_pins(folder)
            self._uploads_ready = True
        return folder

    @contextlib.contextmanager
    def _checked_open(self, file: ListedFile) -> Iterator[BinaryIO]:
        assert file.local_path is not None
        real = os.path.realpath(file.local_path)
        if real != file.real_path:
            raise UploadRefused(f"{file.path} changed on disk since it was validated (it now resolves elsewhere)")
        with open_inside(real, self.root, file.path) as handle:
            info = os.fstat(handle.fileno())
            if self.is_secret(real, (info.st_dev, info.st_ino)):
                raise UploadRefused(f"{file.path} is a file behind a secret; refusing to upload it")
            if self.is_git_file(info):
                raise UploadRefused(f"{file.path} is a file of the repository's .git; refusing to upload it")
            yield handle


@contextlib.contextmanager
def open_inside(real: str, root: str, shown: str) -> Iterator[BinaryIO]:
    """Open the resolved path `real` for reading only if it is a regular file of the repository
    at `root` outside its .git, judged on what was opened, not on the name.

    A last component swapped for a symlink fails instead of being followed, a FIFO swapped in
    fails the regular-file check instead of waiting for a writer (files.open_regular). Where
    the system names an open descriptor's file (/proc/self/fd on Linux), that name is checked
    too, which also catches a parent folder swapped for a symlink. (An ExitStack, so that only
    the open's own errors are reworded, not those of the caller's block.)"""
    if not is_inside(real, root) or in_git_dir(real, root):
        raise UploadRefused(f"{shown} resolves outside the repository or into .git; refusing to upload it")
    with contextlib.ExitStack() as opening:
        try:
            handle = opening.enter_context(open_regular(real, follow_symlinks=False))
        except NotARegularFile:
            raise UploadRefused(f"{shown} is not a regular file; refusing to upload it") from None
        except OSError:
            raise UploadRefused(f"{shown} changed on disk since it was validated; refusing to upload it") from None
        try:
            opened = os.readlink(f"/proc/self/fd/{handle.fileno()}")
        except OSError:
            opened = real  # no such view of descriptors here: the checks on the name stand
        if opened != real and (not is_inside(opened, root) or in_git_dir(opened, root)):
            raise UploadRefused(f"{shown} resolves outside the repository or into .git; refusing to upload it")
        yield handle


# A pin lives as long as one commit; older ones were left by a run that was killed.
STALE_PIN_SECONDS = 24 * 3600


def _remove_stale_pins(folder: str) -> None:
    now = time.time()
    for entry in os.scandir(folder):
        with contextlib.suppress(OSError):
            age = now - entry.stat(follow_symlinks=False).st_mtime
            if entry.name.startswith("upload-") and age > STALE_PIN_SECONDS:
                shutil.rmtree(entry.path, ignore_errors=True)


def _linked(source: str, pinned: str, checked: tuple[int, int]) -> bool:
    """Hard-link `source` (never through a symlink) at `pinned`; True if it is the checked file."""
    try:
        os.link(source, pinned, follow_symlinks=False)
        linked = os.lstat(pinned)
    except (OSError, NotImplementedError):  # EXDEV, EPERM, EMLINK, no hard links here
        return False
    return stat.S_ISREG(linked.st_mode) and (linked.st_dev, linked.st_ino) == checked


def git_file_identities(root: str) -> set[tuple[int, int]]:
    """(device, inode) of every file of the repository's git directory but its object store.

    A hard link in a source folder to `.git/config` (which can hold a token) is that file
    under another path, so paths alone do not tell; objects are left out: they are the
    repository's committed content, and there can be millions. A `.git` file (a worktree or
    submodule) names the git directory, and its `commondir` the shared one."""
    found: set[tuple[int, int]] = set()
    todo = [os.path.join(root, GIT)]
    seen: set[str] = set()
    while todo:
        place = os.path.realpath(todo.pop())
        if place in seen:
            continue
        seen.add(place)
        if os.path.isfile(place):
            text = Path(place).read_text(encoding="utf-8", errors="replace").strip()
            if text.startswith("gitdir:"):
                todo.append(os.path.join(os.path.dirname(place), text[len("gitdir:") :].strip()))
            continue
        common = os.path.join(place, "commondir")
        if os.path.isfile(common):
            todo.append(os.path.join(place, Path(common).read_text(encoding="utf-8", errors="replace").strip()))
        for directory, folders, files in os.walk(place):
            folders[:] = [f for f in folders if f != "objects"]
            for name in files:
                with contextlib.suppress(OSError):
                    info = os.lstat(os.path.join(directory, name))
                    found.add((info.st_dev, info.st_ino))
    return found


class ListedFile(SourceFile):
    """A file found in a source folder; reading it for upload goes through the upload rules."""

    real_path: str  # resolved when listed; a different resolution at read time is refused
    _guard: UploadGuard = PrivateAttr()

    def read(self) -> bytes:
        return self._guard.read(self)

    def pinned(self, stack: contextlib.ExitStack) -> str | bytes:
        return self._guard.pin(self, stack)


def listed_file(path: str, found: ContentId, local_path: str, real_path: str, guard: UploadGuard) -> ListedFile:
    listed = ListedFile(
        path=path,
        blob_id=found.blob_id,
        sha256=found.sha256,
        size=found.size,
        local_path=local_path,
        real_path=real_path,
    )
    listed._guard = guard
    return listed


@dataclass(frozen=True)
class Listing:
    """An app folder as the Space will get it (README.md apart: it is generated)."""

    files: tuple[SourceFile, ...]  # ListedFile, or the generated .gitattributes
    paths: frozenset[str]
    readme_front_matter: dict[str, Any] | None
    readme_body: str | None  # None when the folder has no README.md
    readme_raw: bytes | None  # the file as it is, used when its front matter is exactly the generated one
    requirements: tuple[str, ...]  # lines of requirements.txt, () when absent
    problems: tuple[str, ...]  # refused entries (symlinks leaving the repository, loops, LFS pointers)
    # Every entry read from the folder, README.md included: (path in the Space, resolved path).
    entries: tuple[tuple[str, str], ...] = ()
    gitignored: tuple[str, ...] = ()  # files left out because the folder's .gitignore matches them
    outside_git: tuple[str, ...] = ()  # files kept that the repository's own git ignores


class SourceCache:
    def __init__(self, repo_root: str, hashes: identity.HashCache | None = None) -> None:
        self.root = os.path.realpath(repo_root)
        self.guard = UploadGuard(self.root)
        self.hashes = hashes if hashes is not None else identity.HashCache(Path(self.root) / HASH_CACHE_FILE)
        self._cache: dict[tuple[str, tuple[str, ...]], Listing] = {}
        self.ignores = gitignored.Ignores.of(self.root)
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
        spec = pathspec.GitIgnoreSpec.from_lines(list(exclude))
        found: list[tuple[str, str]] = []
        problems: list[str] = []
        real_folder = os.path.realpath(folder)
        self._walk(folder, "", spec, found, problems, {real_folder}, real_folder)
        found.sort()
        kept, gitignored = _without_gitignored(found, self.read_listed)
        files: list[SourceFile] = []
        readme_text: str | None = None
        requirements: tuple[str, ...] = ()
        for rel, absolute in kept:
            if rel in (README, "requirements.txt"):
                try:
                    text = self.read_listed(absolute, rel).decode("utf-8", errors="replace")
                except UploadRefused as refused:
                    problems.append(str(refused))
                    continue
                if rel == README:
                    readme_text = text
                    continue
                requirements = tuple(text.splitlines())
            found_id = _content_id(self.hashes, absolute)
            if identity.looks_like_lfs_pointer(absolute, found_id.size):
                problems.append(
                    f"{rel} is a Git LFS pointer, not the file's content: the repository was checked out "
                    "without LFS (actions/checkout needs `lfs: true`); refusing to upload it"
                )
                continue
            files.append(listed_file(rel, found_id, absolute, os.path.realpath(absolute), self.guard))
        self.hashes.save()
        front, body = split_front_matter(readme_text) if readme_text is not None else (None, None)
        return Listing(
            files=_with_lfs_attributes(files, self.read_listed),
            paths=frozenset(f.path for f in files),
            readme_front_matter=front,
            readme_body=body,
            readme_raw=readme_text.encode("utf-8") if readme_text is not None else None,
            requirements=requirements,
            problems=tuple(problems),
            entries=tuple((rel, os.path.realpath(absolute)) for rel, absolute in found),
            gitignored=tuple(gitignored),
            outside_git=tuple(
                f.path
                for f in files
                if self.ignores is not None and isinstance(f, ListedFile) and self.ignores.ignored(f.real_path)
            ),
        )

    def read_listed(self, absolute: str, rel: str) -> bytes:
        """A listed file whose bytes are published (README, .gitattributes) or shape what is, read
        with the upload rules: a file swapped for a link since the walk is refused, not followed."""
        with open_inside(os.path.realpath(absolute), self.root, rel) as handle:
            return handle.read()

    def _walk(
        self,
        directory: str,
        prefix: str,
        spec: pathspec.GitIgnoreSpec,
        found: list[tuple[str, str]],
        problems: list[str],
        visiting: set[str],
        source: str,
    ) -> None:
        try:
            entries = sorted(os.scandir(directory), key=lambda e: e.name)
        except OSError as problem:
            problems.append(f"cannot read folder {prefix or '.'}: {problem.strerror}")
            return
        for entry in entries:
            rel = prefix + entry.name
            target = entry.path
            # Not a pattern: a user's `!.git` must not bring it back.
            if entry.name == GIT or spec.match_file(rel) or spec.match_file(rel + "/"):
                continue
            if entry.is_symlink():
                target = os.path.realpath(entry.path)
                refusal = self._symlink_refusal(target, source)
                if refusal is not None:
                    # The link is named, never its target: the target may be a secret's path.
                    problems.append(f"{rel} is a symlink {refusal}; refusing to upload it")
                    continue
            if os.path.isdir(target):
                real = os.path.realpath(target)
                if real in visiting:
                    problems.append(f"{rel} is a symlink loop; skipping it")
                    continue
                self._walk(target, rel + "/", spec, found, problems, visiting | {real}, source)
            elif os.path.isfile(target):
                found.append((rel, os.path.abspath(entry.path)))

    def _symlink_refusal(self, target: str, source: str) -> str | None:
        """Why a symlink resolving to `target` may not be followed, or None."""
        if not is_inside(target, self.root):
            return "to a path outside the repository"
        if in_git_dir(target, self.root):
            return "into the repository's .git"
        if os.path.isdir(target):
            return None if is_inside(target, source) else "to a folder outside the source folder"
        if not os.path.isfile(target):
            return "to something that is not a regular file (or does not exist)"
        if self.ignores is not None and self.ignores.ignored(target):
            # Where secret files are kept, whatever the manifests (which a pull request edits) declare.
            return "to a file git ignores"
        return None


def _content_id(hashes: identity.HashCache, path: str) -> ContentId:
    return hashes.content_id(path)


def _without_gitignored(
    found: list[tuple[str, str]], read: Callable[[str, str], bytes]
) -> tuple[list[tuple[str, str]], list[str]]:
    """Files the Hub keeps, and those the folder's root .gitignore makes it drop.

    The client sends only the root .gitignore with the preupload (huggingface_hub
    `create_commit` looks for path_in_repo == ".gitignore"), so nested ones do not count.
    """
    root = dict(found).get(hubfiles.GITIGNORE)
    if root is None:
        return found, []
    spec = hubfiles.gitignore_spec(read(root, hubfiles.GITIGNORE).decode("utf-8", errors="replace"))

    def dropped(rel: str) -> bool:
        # README.md is generated; .gitignore and .gitattributes are never dropped by the Hub.
        return rel not in (README, *hubfiles.NEVER_IGNORED) and spec.match_file(rel)

    return [(rel, path) for rel, path in found if not dropped(rel)], [rel for rel, _ in found if dropped(rel)]


def _sample(path: str) -> bytes:
    with open(path, "rb") as handle:
        return handle.read(hubfiles.SAMPLE_BYTES)


def _with_lfs_attributes(files: list[SourceFile], read: Callable[[str, str], bytes]) -> tuple[SourceFile, ...]:
    """The folder's .gitattributes with a line for every file the Hub may store with LFS."""
    index = next((i for i, f in enumerate(files) if f.path == hubfiles.GITATTRIBUTES), None)
    if index is None:
        return tuple(files)
    own = files[index]
    assert own.local_path is not None
    lfs = [
        f.path
        for f in files
        if f.local_path is not None
        and f.path != hubfiles.GITATTRIBUTES
        and hubfiles.may_be_lfs(f.path, f.size, _sample(f.local_path))
    ]
    original = read(own.local_path, own.path)
    content = hubfiles.with_lfs_lines(original, lfs)
    if content is not original:
        files[index] = generated(own.path, content)
    return tuple(files)
