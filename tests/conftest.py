"""Test isolation shared by every test.

- No test can reach the real Hub: HF_ENDPOINT is unset, telemetry off, a fresh HF_HOME.
- A canary secret value lives in the environment of every test (CANARY_SECRET). After each
  test, its captured stdout/stderr/log records and every file under its tmp_path are
  checked: the canary must never appear.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

CANARY = "canary-7Hq2-zX9v-never-print-me"


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
    yield
    leaked = [str(p) for p in tmp_path.rglob("*") if p.is_file() and _contains_canary(p)]
    assert not leaked, f"canary secret value found in files written by the test: {leaked}"


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
