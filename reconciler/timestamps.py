"""Timestamps as the plan and the Hub write them: ISO 8601 in UTC to the second, `Z` suffix."""

from __future__ import annotations

from datetime import datetime, timezone

FORMAT = "%Y-%m-%dT%H:%M:%SZ"


def utc_text(moment: datetime) -> str:
    """`moment` in FORMAT; a naive moment is taken as UTC (huggingface_hub parses the Hub's as aware)."""
    aware = moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment.astimezone(timezone.utc)
    return aware.strftime(FORMAT)


def now_text() -> str:
    return utc_text(datetime.now(timezone.utc))


def parse_time(value: str | None) -> float | None:
    """Seconds since the epoch of a Hub timestamp (ISO 8601, naive means UTC); None if unreadable."""
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed.timestamp()
