"""Reading the repository's own small files: manifests, `.reconcileignore`, `reconcile.yaml`,
`fromFile` secrets.

A pull request can commit a symlink, so any of these may point at a device or a FIFO
(`/dev/zero` reads forever; a FIFO's open waits for a writer; `st_size` is 0 for both).
Only a regular file is read, and never more than the caller's limit.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path
from typing import BinaryIO

# Modes of what only its owner may read: the tool's own folder, the local Hub's state.
FILE_MODE = 0o600
DIR_MODE = 0o700
# Not on Windows, which has no FIFOs to guard against (nor os.set_blocking for files before 3.12).
NONBLOCK = getattr(os, "O_NONBLOCK", 0)


def blocking(descriptor: int) -> None:
    """Reads of a regular file opened with NONBLOCK block again, as reads of a file should."""
    if NONBLOCK:
        os.set_blocking(descriptor, True)


class NotARegularFile(OSError):
    def __init__(self) -> None:
        super().__init__(errno.EINVAL, "not a regular file")


class FileTooLarge(OSError):
    def __init__(self, size: int, limit: int) -> None:
        super().__init__(errno.EFBIG, f"{size} bytes; the limit is {limit} bytes")
        self.size = size
        self.limit = limit


def read_small(path: str | Path, limit: int) -> bytes:
    """The bytes of the regular file at `path` (symlinks followed), at most `limit` of them.

    O_NONBLOCK makes opening a FIFO return at once (it then fails the regular-file check);
    the read stops one byte past the limit, whatever the size the file claims."""
    descriptor = os.open(path, os.O_RDONLY | NONBLOCK)
    with os.fdopen(descriptor, "rb") as handle:
        info = os.fstat(descriptor)
        if not stat.S_ISREG(info.st_mode):
            raise NotARegularFile()
        if info.st_size > limit:
            raise FileTooLarge(info.st_size, limit)
        blocking(descriptor)
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
