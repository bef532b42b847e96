"""R5: the canary check itself (tests/conftest.py) sees secrets in log records of any level,
in their arguments and in tracebacks, so a leak through logging cannot pass unnoticed; it finds
the special-character and file canaries in any escaping; and no command, in any format, prints
or writes a secret value."""

from __future__ import annotations

import html
import json
import logging
import urllib.parse
from pathlib import Path

import pytest
from huggingface_hub import HfApi

from reconciler.localhub import LocalHub
from reconciler.render._markdown import md_code, md_text
from tests.conftest import CANARY, FILE_CANARY, SPECIAL_CANARY, _CanaryHandler, has_canary
from tests.e2e.conftest import Run, run_cli
from tests.reliability.helpers import write_fleet


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


ESCAPES = {
    "json": lambda v: json.dumps(v),
    "url": lambda v: urllib.parse.quote(v, safe=""),
    "html": html.escape,
    "markdown": md_text,
    "code span": md_code,
}


@pytest.mark.parametrize("value", [SPECIAL_CANARY, FILE_CANARY], ids=["special", "file"])
@pytest.mark.parametrize("escape", sorted(ESCAPES))
def test_the_special_canaries_are_found_in_any_escaping(value: str, escape: str) -> None:
    escaped = ESCAPES[escape](value)
    assert escaped != value or escape == "code span"  # the escaping changed the text...
    assert has_canary(f"before {escaped} after")  # ...and the check still finds it
    handler = _CanaryHandler()
    handler.handle(_record("value %s", (escaped,)))
    assert handler.leaks


# ------------------------------------------------------------------ every command's output


def _special_fleet(workspace: Path) -> list[str]:
    """A fleet whose secrets are all three canaries: from the environment (plain and full of
    special characters, the latter also for previews) and from a file."""
    ids = write_fleet(workspace, 2)
    manifest = workspace / "manifests" / "fleet.yaml"
    manifest.write_text(
        manifest.read_text().replace(
            "KEY_FILE: {fromFile: ../secrets/key.txt}}",
            "KEY_FILE: {fromFile: ../secrets/key.txt}, SPECIAL: {fromEnv: CANARY_SPECIAL, preview: true}}",
        )
    )
    return ids


def _clean(result: Run, *codes: int) -> Run:
    assert result.code in codes, result.output
    assert not has_canary(result.output), "a canary secret value in the command's output"
    return result


def test_no_command_prints_or_writes_a_secret_value(hub: LocalHub, workspace: Path) -> None:
    """plan, apply, drift, preview and import, in every format, to stdout and to files: no canary
    in any escaping (the autouse check also reads every file written under tmp_path)."""
    ids = _special_fleet(workspace)
    for fmt in ("text", "json", "markdown"):
        _clean(run_cli("plan", "--format", fmt, "manifests"), 0, 2)
    _clean(run_cli("plan", "--out", "plan.json", "manifests"), 0, 2)
    _clean(run_cli("apply", "--plan", "plan.json", "--no-wait", "manifests"), 0)
    _clean(run_cli("apply", "--auto-approve", "--format", "json", "--no-wait", "manifests"), 0)
    # Drift: a secret rotated and a variable added by hand.
    api = HfApi(endpoint=hub.endpoint, token=hub.token)
    api.add_space_secret(ids[0], "SPECIAL", SPECIAL_CANARY + "-rotated-by-hand")
    api.add_space_variable(ids[1], "ADDED", "by hand")
    for fmt in ("text", "json", "markdown", "html"):
        _clean(run_cli("drift", "--format", fmt, "manifests"), 0, 2)
        _clean(run_cli("drift", "--format", fmt, "--out", f"drift.{fmt}", "manifests"), 0, 2)
    # A pull request's previews: up (with the preview secret), then down.
    write_fleet(workspace, 2, version="pr")
    _special_fleet(workspace)
    for fmt in ("text", "json"):
        _clean(run_cli("preview", "up", "--pr", "5", "--no-wait", "--format", fmt, "manifests"), 0)
    assert set(api.get_space_secrets(f"{ids[0]}-pr-5")) == {"SPECIAL"}
    _clean(run_cli("preview", "down", "--pr", "5", "--format", "json", "manifests"), 0)
    # Import writes manifests and downloads files: none may carry a value.
    _clean(run_cli("import", "--namespace", "local-org", "--manifests-dir", "imported"), 0, 1)
    written = [p for p in (workspace / "imported").rglob("*") if p.is_file()]
    assert all(not has_canary(p.read_bytes()) for p in written)
