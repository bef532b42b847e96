"""Files the tool reads from a repository, and files it writes for its user only.

Reading: manifests, `.reconcileignore`, `reconcile.yaml`, `fromFile` secrets and the files
of a source folder. A pull request can commit a symlink, so any of these may point at a
device or a FIFO (`/dev/zero` reads forever; a FIFO's open waits for a writer; `st_size` is
0 for both): only a regular file is opened (`open_regular`), and small files are never read
past the caller's limit (`read_small`).

Writing: the tool's `.reconcile/` and the local Hub's state hold private Spaces' files,
tokens and digests: folders 0700 and files 0600 whatever the umask (`private_dir`,
`open_private`).
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

# Modes of what only its owner may read: the tool's own folder, the local Hub's state.
FILE_MODE = 0o600
DIR_MODE = 0o700
# Not on Windows, which has no FIFOs to guard against (nor os.set_blocking for files before 3.12).
NONBLOCK = getattr(os, "O_NONBLOCK", 0)


class NotARegularFile(OSError):
    def __init__(self) -> None:
        super().__init__(errno.EINVAL, "not a regular file")


class FileTooLarge(OSError):
    def __init__(self, size: int, limit: int) -> None:
        super().__init__(errno.EFBIG, f"{size} bytes; the limit is {limit} bytes")
        self.size = size
        self.limit = limit


@contextlib.contextmanager
def open_regular(path: str | Path, *, follow_symlinks: bool = True) -> Iterator[BinaryIO]:
    """`path` open for reading if it is a regular file; NotARegularFile for anything else.

    O_NONBLOCK makes opening a FIFO return at once (it then fails the regular-file check),
    and reads block again once it passed; O_NOFOLLOW (follow_symlinks=False) fails on a
    final symlink instead of following it."""
    flags = os.O_RDONLY | NONBLOCK | (0 if follow_symlinks else getattr(os, "O_NOFOLLOW", 0))
    descriptor = os.open(path, flags)
    with os.fdopen(descriptor, "rb") as handle:
        if not stat.S_ISREG(os.fstat(descriptor).st_mode):
            raise NotARegularFile()
        if NONBLOCK:
            os.set_blocking(descriptor, True)
        yield handle


def read_small(path: str | Path, limit: int) -> bytes:
    """The bytes of the regular file at `path` (symlinks followed), at most `limit` of them: the
    read stops one byte past the limit, whatever the size the file claims."""
    with open_regular(path) as handle:
        size = os.fstat(handle.fileno()).st_size
        if size > limit:
            raise FileTooLarge(size, limit)
        data = handle.read(limit + 1)
    if len(data) > limit:
        raise FileTooLarge(len(data), limit)
    return data


def private_dir(path: Path) -> None:
    """`path` and its missing parents as folders only the owner can open, whatever the umask."""
    missing: list[Path] = []
    while not path.is_dir():
        missing.append(path)
        path = path.parent
    for folder in reversed(missing):
        try:
            folder.mkdir(DIR_MODE)
        except FileExistsError:
            continue  # made by another writer meanwhile, through here too
        os.chmod(folder, DIR_MODE)  # the umask can take bits from mkdir's mode


_OPEN_FLAGS = {"wb": os.O_TRUNC, "ab": os.O_APPEND, "xb": os.O_EXCL}


def open_private(path: Path, mode: str = "wb") -> BinaryIO:
    """`path` opened for writing ("wb", "ab" or "xb") as a file only the owner can read, whatever the umask."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | _OPEN_FLAGS[mode], FILE_MODE)
    try:
        # Set on the open file, before any byte is written; this also tightens a file appended to
        # that an older version created readable by others.
        if hasattr(os, "fchmod"):  # not on Windows before Python 3.13
            os.fchmod(fd, FILE_MODE)
        return open(fd, "ab" if mode == "ab" else "wb")
    except BaseException:
        os.close(fd)
        raise
