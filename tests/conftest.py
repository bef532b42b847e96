"""Test isolation shared by every test.

- No test can reach the real Hub: HF_ENDPOINT is unset, telemetry off, a fresh HF_HOME.
- A canary secret value lives in the environment of every test (CANARY_SECRET), with a second one
  full of special characters (CANARY_SPECIAL) and a third for secret files (secret_file()). After
  each test, its captured stdout/stderr, every log record of any level (message, arguments and
  traceback), every file under its tmp_path (but the secret files) and every file written under
  the working directory's `.reconcile/` are checked: no canary may appear, in any escaping.
"""

from __future__ import annotations

import logging
import os
import traceback
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import settings

# The golden helper's asserts show a diff, as a test module's do.
pytest.register_assert_rewrite("tests.golden")

CANARY = "canary-7Hq2-zX9v-never-print-me"
# Canaries full of markdown, JSON, HTML and URL special characters, in the environment
# (CANARY_SPECIAL) and in a secret file (tests that need one write it with secret_file()).
# Each starts with a core no escaping changes: finding the core anywhere is a leak, whatever
# escaping a writer applied to the rest.
SPECIAL_CANARY = 'Kq7Zp-Sup3r$ecret!_x*y"\\<|`[a](b)&amp;@x</summary>%20#1~'
FILE_CANARY = "Zr8Wq-f!le`va|ue\"*_<b>&'[x]\\@y"
CORES = (CANARY, SPECIAL_CANARY[:5], FILE_CANARY[:5])
# Values the tests hold secret: the canaries, and those a test module declares with
# keep_secret(). A test's report (its assertion, captured output, log records) shows each as
# <secret>, so a test that fails on a leak does not print the leaked value itself.
_KEPT_SECRETS: set[str] = {CANARY, SPECIAL_CANARY, FILE_CANARY}
# Files that hold a canary on purpose (a fromFile secret): the only ones the file check skips.
_SECRET_FILES: set[Path] = set()


def required(tool_env: str) -> bool:
    """Whether CI demands a tool (.ci/run sets RECONCILE_REQUIRE_<TOOL>=1): its tests then fail
    when it is missing instead of skipping. Read at import, before the fixtures clear RECONCILE_*."""
    return os.environ.get(tool_env) == "1"


def keep_secret(value: str) -> str:
    """`value`, which test reports will show as <secret> from now on."""
    _KEPT_SECRETS.add(value)
    return value


def redact(text: str) -> str:
    """`text` with every kept secret (as written, escaped as Python's repr escapes it, or the ends
    pytest keeps of a long value it shortens) and every canary core replaced by <secret>."""
    forms = {form for value in _KEPT_SECRETS for form in (value, repr(value)[1:-1])} | set(CORES)
    forms |= {end for value in _KEPT_SECRETS if len(value) >= 16 for end in (value[:10], value[-10:])}
    for form in sorted(forms, key=len, reverse=True):
        text = text.replace(form, "<secret>")
    return text


def has_canary(text: str | bytes) -> bool:
    data = text.encode("utf-8", "surrogateescape") if isinstance(text, str) else text
    return any(core.encode() in data for core in CORES)


def secret_file(path: Path, value: str = FILE_CANARY) -> Path:
    """Write a secret file (a fromFile secret's value); the canary check skips it, and only it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(value + "\n", encoding="utf-8")
    return holds_canary(path)


def holds_canary(path: Path) -> Path:
    """A file the test itself filled with a canary (a secret file, hostile input): not a leak."""
    _SECRET_FILES.add(path.resolve())
    return path


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
    monkeypatch.setenv("CANARY_SPECIAL", SPECIAL_CANARY)
    _SECRET_FILES.clear()
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
        if has_canary(text):
            self.leaks.append(f"{record.name}:{record.levelname}: {redact(text)[:200]}")


def _snapshot(folder: Path) -> dict[Path, tuple[int, int]]:
    if not folder.is_dir():
        return {}
    return {p: (p.stat().st_mtime_ns, p.stat().st_size) for p in folder.rglob("*") if p.is_file()}


def _contains_canary(path: Path) -> bool:
    if path.resolve() in _SECRET_FILES:
        return False
    try:
        return has_canary(path.read_bytes())
    except OSError:
        return False


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()
    captured = "".join(content for _, content in report.sections)
    if has_canary(captured) and report.passed:
        report.outcome = "failed"
        report.longrepr = f"canary secret value appeared in captured output during {report.when}"
    report.sections = [(title, redact(content)) for title, content in report.sections]
    if report.failed and report.longrepr is not None:
        shown = str(report.longrepr)
        if redact(shown) != shown:
            report.longrepr = redact(shown)
