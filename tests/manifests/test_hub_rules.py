"""The Hub's own rules, checked at validate time (FILE:LINE:COL) and at plan time (whoami)."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.manifests import load_manifests
from reconciler.manifests.hub_rules import AccountProblem, account_diagnostics, account_problems, accounts
from reconciler.model import Action, Change, Plan, PlanEntry, Rung
from tests.builders import desired

HEAD = "apiVersion: spaces-reconciler/v1\nkind: Space\nmetadata: {namespace: acme, name: demo}\nspec:\n"


def _errors(tmp_path: Path, spec: str, sdk: str = "static") -> list[str]:
    (tmp_path / ".git").mkdir(exist_ok=True)
    app = tmp_path / "app"
    app.mkdir(exist_ok=True)
    (app / "index.html").write_text("<p>hi</p>\n")
    (app / "Dockerfile").write_text("FROM python:3.12\n")
    manifest = tmp_path / "m.yaml"
    manifest.write_text(HEAD + f"  sdk: {sdk}\n  source: {{path: app}}\n" + spec)
    result = load_manifests([manifest], repo_root=tmp_path)
    return [f"{d.location.line}:{d.location.col} {d.message}" for d in result.errors if d.location]


@pytest.mark.parametrize(
    ("spec", "where", "words"),
    [
        ("  hardware: cpu-basic\n", "7:13", "runs on no hardware"),
        ("  devMode: true\n", "7:12", "refuses dev mode"),
        ("  paused: true\n", "7:11", "refuses pausing"),
        ("  volumes: [{type: bucket, source: acme/b, mountPath: /d}]\n", "7:12", "mount volumes"),
    ],
)
def test_static_spaces_refuse_container_settings(tmp_path: Path, spec: str, where: str, words: str) -> None:
    (found,) = _errors(tmp_path, spec)
    assert found.startswith(where) and words in found


def test_a_plain_static_space_is_fine(tmp_path: Path) -> None:
    assert _errors(tmp_path, "  visibility: private\n") == []


def test_a_writable_repo_mount_cannot_be_applied(tmp_path: Path) -> None:
    spec = "  volumes:\n    - {type: model, source: acme/w, mountPath: /w, readOnly: false}\n"
    (found,) = _errors(tmp_path, spec, sdk="docker")
    assert found.startswith("8:62") and "always read-only" in found
    ok = "  volumes:\n    - {type: bucket, source: acme/w, mountPath: /w, readOnly: false}\n"
    assert _errors(tmp_path, ok, sdk="docker") == []


WHOAMI = {
    "name": "alice",
    "isPro": False,
    "canPay": False,
    "orgs": [{"name": "Acme", "plan": "team", "canPay": True}, {"name": "free-org", "canPay": False}],
}


@pytest.mark.parametrize(
    ("namespace", "dev_mode", "hardware", "expected"),
    [
        ("alice", True, "cpu-basic", (AccountProblem.DEV_MODE_NEEDS_PLAN,)),
        ("alice", False, "t4-small", (AccountProblem.PAID_HARDWARE_NEEDS_BILLING,)),
        ("acme", True, "t4-small", ()),  # ids are case-insensitive: Acme's plan and billing
        (
            "free-org",
            True,
            "cpu-upgrade",
            (AccountProblem.DEV_MODE_NEEDS_PLAN, AccountProblem.PAID_HARDWARE_NEEDS_BILLING),
        ),
        ("someone-else", True, "t4-small", ()),  # not this token's: the write check says so
    ],
)
def test_account_problems_from_whoami(namespace: str, dev_mode: bool, hardware: str, expected: tuple) -> None:  # type: ignore[type-arg]
    assert account_problems(namespace, dev_mode=dev_mode, hardware=hardware, known=accounts(WHOAMI)) == expected


def test_a_pro_user_may_use_dev_mode() -> None:
    known = accounts({**WHOAMI, "isPro": True})
    assert account_problems("alice", dev_mode=True, hardware="cpu-basic", known=known) == ()


def test_only_planned_writes_are_refused_with_the_manifest_position() -> None:
    want = desired("alice/demo", hardware="t4-small", dev_mode=True)
    untouched = PlanEntry(id=want.id, action=Action.NOOP, rung=Rung.NONE)
    plan = Plan(created_at="t", hub="h", spaces=(untouched,))
    assert account_diagnostics(plan, {want.id: want}, WHOAMI) == {}
    changed = untouched.model_copy(
        update={"action": Action.UPDATE, "rung": Rung.SETTINGS, "changes": (Change(path="spec.devMode", after=True),)}
    )
    ((found,),) = account_diagnostics(plan.model_copy(update={"spaces": (changed,)}), {want.id: want}, WHOAMI).values()
    assert str(found).startswith("manifests/demo.yaml:1:1: error: alice/demo: dev mode needs a PRO plan")


def _diagnostics(tmp_path: Path, spec: str, sdk: str = "static") -> list[str]:
    _errors(tmp_path, spec, sdk)  # writes the manifest and its app
    result = load_manifests([tmp_path / "m.yaml"], repo_root=tmp_path)
    return [
        f"{d.location.line}:{d.location.col} {d.severity.value} {d.message}" for d in result.diagnostics if d.location
    ]


def test_a_static_space_on_paid_hardware_is_told_once(tmp_path: Path) -> None:
    (found,) = _diagnostics(tmp_path, "  hardware: t4-small\n")
    assert found.startswith("7:13 error") and "runs on no hardware" in found


def test_the_retired_static_hardware_rule_may_still_be_named(tmp_path: Path) -> None:
    assert _diagnostics(tmp_path, "  lifecycle: {ignoreLint: [static-hardware]}\n", sdk="docker") == []
