"""R6: tokens without the right to write. A read-only token: apply is refused before any write,
naming the missing permission. A token of another organization: a clear 403 message."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.localhub import LocalHub
from tests.e2e.conftest import run_cli
from tests.reliability.helpers import Admin, write_fleet, writes

READ_ONLY = "hf_reliability_read_only_token"
OUTSIDER = "hf_reliability_other_org_token"


@pytest.fixture
def seeded(hub: LocalHub, admin: Admin, workspace: Path) -> list[str]:
    """Two existing Spaces and one new one, so apply would update and create."""
    ids = write_fleet(workspace, 2)
    assert run_cli("apply", "--auto-approve", "--no-wait", "manifests").code == 0
    write_fleet(workspace, 3, version="2")
    admin.add_token(READ_ONLY, "reader", "read", ["local-org"])
    admin.add_token(OUTSIDER, "mallory", "write", ["evil-org"])
    admin.reset_stats()
    return ids


def test_read_only_token_is_refused_before_any_write(
    admin: Admin, seeded: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HF_TOKEN", READ_ONLY)
    result = run_cli("apply", "--auto-approve", "--no-wait", "manifests")
    assert result.code == 1, result.output
    assert "Traceback" not in result.output
    assert "write" in result.output.lower() and "local-org" in result.output, result.output
    assert writes(admin.stats()) == {}, "a write was attempted with a read-only token"


def test_token_of_another_organization_gets_a_clear_403(
    admin: Admin, seeded: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HF_TOKEN", OUTSIDER)
    result = run_cli("apply", "--auto-approve", "--no-wait", "manifests")
    assert result.code == 1, result.output
    assert "Traceback" not in result.output
    assert "403" in result.output or "permission" in result.output.lower(), result.output
    assert "local-org" in result.output, result.output
    assert writes(admin.stats()) == {}, "a write was attempted with another organization's token"
