"""R5: the canary check itself (tests/conftest.py) sees secrets in log records of any level,
in their arguments and in tracebacks, so a leak through logging cannot pass unnoticed."""

from __future__ import annotations

import logging

from tests.conftest import CANARY, _CanaryHandler


def _record(msg: str, args: tuple[object, ...] = (), level: int = logging.DEBUG) -> logging.LogRecord:
    return logging.LogRecord("reconciler.hub", level, __file__, 1, msg, args, None)


def test_a_debug_record_carrying_the_canary_is_caught() -> None:
    handler = _CanaryHandler()
    handler.handle(_record("value %s", (CANARY,)))
    assert len(handler.leaks) == 1 and "reconciler.hub:DEBUG" in handler.leaks[0]


def test_a_traceback_carrying_the_canary_is_caught() -> None:
    handler = _CanaryHandler()
    try:
        raise ValueError(f"bad token {CANARY}")
    except ValueError:
        import sys

        record = _record("request failed")
        record.exc_info = sys.exc_info()
        handler.handle(record)
    assert handler.leaks


def test_clean_records_pass() -> None:
    handler = _CanaryHandler()
    handler.handle(_record("value %s", ("(sensitive)",), logging.WARNING))
    assert handler.leaks == []


def test_our_loggers_are_recorded_at_every_level() -> None:
    assert logging.getLogger("reconciler").getEffectiveLevel() == logging.DEBUG
