"""Test isolation shared by every test.

- No test can reach the real Hub: HF_ENDPOINT is unset, telemetry off, a fresh HF_HOME.
- A canary secret value lives in the environment of every test (CANARY_SECRET). After each
  test, its captured stdout/stderr, every log record of any level (message, arguments and
  traceback), every file under its tmp_path and every file written under the working
  directory's `.reconcile/` are checked: the canary must never appear.
"""

from __future__ import annotations

import logging
import os
import traceback
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import settings

CANARY = "canary-7Hq2-zX9v-never-print-me"

# Property tests draw the same examples on every run, so the suite never fails by chance on
# one machine and passes on another; HYPOTHESIS_PROFILE=explore searches with fresh randomness
# (run it when touching parsers or renderers, and pin what it finds with @example).
settings.register_profile("repeatable", derandomize=True, database=None)
settings.register_profile("explore", max_examples=1000)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "repeatable"))


@pytest.fixture(autouse=True)
def isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name in list(os.environ):
        if name.startswith(("HF_", "HUGGING_FACE_", "GITHUB_", "RECONCILE_")):
            monkeypatch.delenv(name, raising=False)
    hf_home = tmp_path / ".hf-home"
    hf_home.mkdir()
    monkeypatch.setenv("HF_HOME", str(hf_home))
    monkeypatch.setenv("HF_HUB_DISABLE_TELEMETRY", "1")
    monkeypatch.setenv("HF_HUB_DISABLE_UPDATE_CHECK", "1")
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("CANARY_SECRET", CANARY)
    state_dir = Path.cwd() / ".reconcile"
    before = _snapshot(state_dir)
    records = _CanaryHandler()
    root, ours = logging.getLogger(), logging.getLogger("reconciler")
    level = ours.level
    # Records propagate to the root's handlers whatever the root's level: every record of our
    # own code (any level) and of other libraries (at their usual level) passes through.
    root.addHandler(records)
    ours.setLevel(logging.DEBUG)
    try:
        yield
    finally:
        root.removeHandler(records)
        ours.setLevel(level)
    assert not records.leaks, f"canary secret value found in log records: {records.leaks}"
    leaked = [str(p) for p in tmp_path.rglob("*") if p.is_file() and _contains_canary(p)]
    written = [p for p, stamp in _snapshot(state_dir).items() if before.get(p) != stamp]
    leaked += [str(p) for p in written if _contains_canary(p)]
    assert not leaked, f"canary secret value found in files written by the test: {leaked}"


class _CanaryHandler(logging.Handler):
    """Sees every record that reaches the root logger's handlers, before any formatting."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.leaks: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        try:
            text = record.getMessage()
        except Exception:  # a broken format string: check its parts
            text = f"{record.msg!r} {record.args!r}"
        if record.exc_info and record.exc_info[1] is not None:
            text += "".join(traceback.format_exception(*record.exc_info))
        if record.exc_text:
            text += record.exc_text
        if CANARY in text:
            self.leaks.append(f"{record.name}:{record.levelname}: {text[:200]}")


def _snapshot(folder: Path) -> dict[Path, tuple[int, int]]:
    if not folder.is_dir():
        return {}
    return {p: (p.stat().st_mtime_ns, p.stat().st_size) for p in folder.rglob("*") if p.is_file()}


def _contains_canary(path: Path) -> bool:
    try:
        return CANARY.encode() in path.read_bytes()
    except OSError:
        return False


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()
    captured = "".join(content for _, content in report.sections)
    if CANARY in captured and report.passed:
        report.outcome = "failed"
        report.longrepr = f"canary secret value appeared in captured output during {report.when}"
