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
