"""The process's malloc arenas after a HubClient exists, counted by glibc itself (malloc_stats)."""

from __future__ import annotations

import os
import platform
import subprocess
import sys

import pytest

from reconciler.hub.mallocconfig import bounds_arenas

pytestmark = pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="arenas are glibc's")

# Six threads allocate while all alive (each thread's first malloc takes an arena of its own while
# the limit allows), then glibc prints one "Arena N:" block per arena to stderr.
PROBE = """
import ctypes, sys, threading
if sys.argv[1] == "client":
    from reconciler.hub.client import HubClient
    HubClient("http://127.0.0.1:9", "hf_x").close()
gate = threading.Barrier(7)
def work():
    held = [bytearray(1000) for _ in range(100)]
    gate.wait()
    gate.wait()
threads = [threading.Thread(target=work) for _ in range(6)]
for thread in threads:
    thread.start()
gate.wait()
ctypes.CDLL(None).malloc_stats()
gate.wait()
for thread in threads:
    thread.join()
"""


def arenas(mode: str, **env: str) -> int:
    environ = {k: v for k, v in os.environ.items() if k not in ("MALLOC_ARENA_MAX", "GLIBC_TUNABLES")}
    done = subprocess.run(
        [sys.executable, "-c", PROBE, mode], capture_output=True, text=True, check=True, env={**environ, **env}
    )
    return sum(1 for line in done.stderr.splitlines() if line.startswith("Arena "))


def test_threads_started_after_a_client_share_one_arena() -> None:
    assert arenas("none") > 1  # without a client, each thread has its own (the probe can see them)
    assert arenas("client") == 1


def test_the_users_arena_count_is_kept() -> None:
    assert arenas("client", MALLOC_ARENA_MAX="3") == 3
    assert arenas("client", GLIBC_TUNABLES="glibc.malloc.arena_max=2") == 2


def test_only_glibc_without_a_choice_of_the_users_is_bounded() -> None:
    assert bounds_arenas({}, "glibc")
    assert bounds_arenas({"GLIBC_TUNABLES": "glibc.malloc.tcache_count=0"}, "glibc")  # another setting
    assert not bounds_arenas({"MALLOC_ARENA_MAX": "8"}, "glibc")
    assert not bounds_arenas({"GLIBC_TUNABLES": "glibc.malloc.arena_max=4"}, "glibc")
    assert not bounds_arenas({}, "")  # musl and others: platform.libc_ver() names no glibc
