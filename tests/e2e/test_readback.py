"""Settings the Hub reads back differently from how they were written converge end to end:
a protected Space (reads as private) and a model mount (reads back read-only). After apply,
plan is empty and a second apply writes nothing (hub-contract §13)."""

from __future__ import annotations

import json
from pathlib import Path

from reconciler.localhub import LocalHub
from tests.e2e.conftest import run_cli
from tests.localhub.hubtools import admin

MANIFEST = """\
apiVersion: spaces-reconciler/v1
kind: Space
metadata: {namespace: local, name: readback}
spec:
  sdk: docker
  visibility: protected
  volumes:
    - {type: model, source: local/weights, mountPath: /weights}
    - {type: bucket, source: local/data, mountPath: /data}
  source: {path: ../app}
  card: {title: Readback}
"""


def _writes(hub: LocalHub) -> dict[str, int]:
    stats = admin(hub, "GET", "stats")
    return {k: v for k, v in stats["by_route"].items() if k.split(" ")[0] in ("POST", "PUT", "DELETE")}


def test_protected_space_with_a_model_mount_converges(hub: LocalHub, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    root = tmp_path / "repo"
    (root / ".git").mkdir(parents=True)
    (root / "app").mkdir()
    (root / "app" / "Dockerfile").write_text("FROM python:3.12\n")
    (root / "manifests").mkdir()
    (root / "manifests" / "readback.yaml").write_text(MANIFEST)
    monkeypatch.chdir(root)
    assert run_cli("apply", "--auto-approve", "--timeout", "60s", "manifests").code == 0
    result = run_cli("plan", "--format", "json", "manifests")
    (entry,) = json.loads(result.stdout)["spaces"]
    assert (entry["rung"], entry["changes"]) == ("none", [])
    assert entry["caveats"] == ["protected-reads-as-private"]
    text = run_cli("plan", "manifests")
    assert "cannot tell protected from private" in text.stdout
    admin(hub, "POST", "stats/reset")
    assert run_cli("apply", "--auto-approve", "--timeout", "60s", "manifests").code == 0
    assert _writes(hub) == {}
