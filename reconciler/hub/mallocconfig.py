"""One malloc arena for the process, set before hf_xet's threads start (glibc only).

glibc gives each thread that allocates its own arena, up to eight per core (mallopt(3),
M_ARENA_MAX), and an arena keeps the memory freed in it for reuse instead of returning it.
hf_xet cuts, serializes and uploads xorbs on several runtime threads, so each of their arenas
ends up holding xorb-sized buffers that were already freed. With one arena those are reused:
benchmark P9 (`reconcile apply`, one 2 GiB file, Xet) peaked at 288 MB instead of 344 MB; the
1 GiB upload alone 263 MB instead of 288-313 MB.

glibc reads the MALLOC_ARENA_MAX variable when the process starts, so setting it here would do
nothing; mallopt(M_ARENA_MAX) applies to the arenas made after the call, which is every one
hf_xet's threads make (they start with the process's first Xet transfer, after HubClient
creation). A user's own choice wins: when MALLOC_ARENA_MAX or the glibc.malloc.arena_max tunable
is set, or the C library is not glibc, nothing is changed.
"""

from __future__ import annotations

import ctypes
import platform
from collections.abc import Mapping

M_ARENA_MAX = -8  # glibc malloc/malloc.h
ARENA_MAX = "MALLOC_ARENA_MAX"
TUNABLES = "GLIBC_TUNABLES"  # glibc manual, "Memory Allocation Tunables"
ARENA_MAX_TUNABLE = "glibc.malloc.arena_max"


def bounds_arenas(environ: Mapping[str, str], libc: str) -> bool:
    """Whether the arena count is ours to set: glibc, and the user chose none."""
    return libc == "glibc" and ARENA_MAX not in environ and ARENA_MAX_TUNABLE not in environ.get(TUNABLES, "")


def bound_arenas(environ: Mapping[str, str]) -> bool:
    """Limit the process to one malloc arena unless the user chose; True when the limit was set."""
    if not bounds_arenas(environ, platform.libc_ver()[0]):
        return False
    try:
        return bool(ctypes.CDLL(None).mallopt(M_ARENA_MAX, 1))
    except (OSError, AttributeError):  # no C library to load, or one without mallopt
        return False
