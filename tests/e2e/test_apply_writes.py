"""apply prints every write that reached the Hub, by Space: variable and secret names, never values."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from reconciler.localhub import LocalHub
from tests.conftest import SPECIAL_CANARY
from tests.e2e.conftest import run_cli

GRADIO = "local-org/gradio-hello"


def _written(stdout: str) -> dict[str, str]:
    block = stdout.split("\nWritten:\n", 1)[1].split("\n\n", 1)[0]
    rows = (line.strip().split(": ", 1) for line in block.splitlines())
    return {space_id: re.sub(r"commit [0-9a-f]{12}", "commit SHA", writes) for space_id, writes in rows}


def test_apply_lists_every_write_with_names_but_no_values(
    hub: LocalHub, fleet: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RECONCILE_FINGERPRINT_KEY", "a-long-random-fingerprint-key-for-this-test")
    created = run_cli("apply", "--auto-approve", "--target", GRADIO, "--timeout", "60s")
    assert created.code == 0, created.output
    assert _written(created.stdout) == {GRADIO: "create, variable GREETING, secret HELLO_TOKEN, commit SHA"}
    # Progress in the order things happen: handed to the health gate, then the stages it saw.
    progress = [line for line in created.stderr.splitlines() if line.startswith(f"{GRADIO}: ")]
    waiting = progress.index(f"{GRADIO}: waiting for the new version to run")
    verdict = next(i for i, line in enumerate(progress) if "-> running (" in line)
    assert waiting < verdict and progress.count(f"{GRADIO}: waiting for the new version to run") == 1, progress

    manifest = fleet / "manifests" / "gradio-hello.yaml"
    manifest.write_text(manifest.read_text().replace("GREETING: Hello", "GREETING: Bonjour"))
    monkeypatch.setenv("HELLO_TOKEN", SPECIAL_CANARY)  # a new value: rewritten, named, never shown
    updated = run_cli("apply", "--auto-approve", "--target", GRADIO, "--timeout", "60s")
    assert updated.code == 0, updated.output
    assert _written(updated.stdout) == {GRADIO: "variable GREETING, secret HELLO_TOKEN"}
    assert "Bonjour" not in updated.stdout.split("\nWritten:\n", 1)[1]

    again = run_cli("apply", "--auto-approve", "--target", GRADIO)
    assert again.code == 0 and "Written:" not in again.stdout, again.output
