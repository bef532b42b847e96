"""Run log checks over the lines since the Space's latest boot."""

from __future__ import annotations

import re
from collections.abc import Sequence

# The Hub opens every boot's run log with this banner (the local Hub copies it; it is also the
# first line of a Space's "Logs" tab), so the lines after the last one belong to the new boot.
BOOT_MARKER = "===== Application Startup at"
MAX_LINES = 20  # evidence kept per check


def since_boot(lines: Sequence[str]) -> list[str]:
    last = max((i for i, line in enumerate(lines) if line.startswith(BOOT_MARKER)), default=-1)
    return [line.rstrip("\n") for line in lines[last + 1 :]]


def forbidden(pattern: str, lines: Sequence[str]) -> list[str]:
    """The lines `pattern` matches (searched anywhere in the line), at most MAX_LINES."""
    compiled = re.compile(pattern)
    return [line for line in lines if compiled.search(line)][:MAX_LINES]


def unseen(patterns: Sequence[str], lines: Sequence[str]) -> list[str]:
    """The patterns that match no line yet."""
    return [p for p in patterns if not any(re.search(p, line) for line in lines)]
