"""A rollout with `apply --wait`: the workers write, one health gate watches every Space through the
namespace listing. At parallelism 1, every Space's commit is made while the first still builds,
and no Space is polled on its own."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

from reconciler.localhub import LocalHub
from tests.e2e.conftest import run_cli, serving
from tests.reliability.helpers import Admin

BUILD_S, START_S = 3.0, 1.0
SPACES = 4
FLEET = """\
apiVersion: spaces-reconciler/v1
kind: SpaceSet
metadata: {{name: roll}}
spec:
  generators:
    - list: [{items}]
  template: |
    metadata:
      namespace: local-org
      name: roll-{{{{ i }}}}
    spec:
      sdk: gradio
      sdkVersion: "6.15.1"
      source: {{path: ../app}}
      card: {{title: Roll {{{{ i }}}}}}
"""


@pytest.fixture
def slow_hub(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[LocalHub]:
    """Builds long enough that writing every Space takes less time than one build."""
    with serving(
        tmp_path / "hub-state",
        monkeypatch,
        grace_s=10,
        build_seconds=BUILD_S,
        restart_seconds=START_S,
        stage_lag_seconds=0.3,
    ) as local:
        yield local


def write_fleet(root: Path, labels: str) -> None:
    (root / ".git").mkdir(parents=True, exist_ok=True)
    (root / "app").mkdir(exist_ok=True)
    (root / "app" / "app.py").write_text("import gradio as gr\n")
    (root / "app" / "labels.json").write_text(labels)
    (root / "manifests").mkdir(exist_ok=True)
    items = ", ".join(f"{{i: {i}}}" for i in range(SPACES))
    (root / "manifests" / "fleet.yaml").write_text(FLEET.format(items=items))


def when(event: dict[str, str]) -> float:
    return dt.datetime.strptime(event["time"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=dt.timezone.utc).timestamp()


def test_the_gate_watches_every_space_while_the_workers_go_on_writing(
    slow_hub: LocalHub, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    admin = Admin(slow_hub)
    root = tmp_path / "repo"
    write_fleet(root, '["cat"]\n')
    monkeypatch.chdir(root)
    assert run_cli("apply", "--auto-approve", "--no-wait", "manifests").code == 0
    admin.call("POST", "clock", {"advance_s": 3600})
    seen = len(admin.call("GET", "events"))
    write_fleet(root, '["cat", "dog"]\n')  # not Python: a rebuild for every Space
    admin.call("POST", "stats/reset")
    result = run_cli("apply", "--auto-approve", "--parallelism", "1", "--timeout", "120s", "manifests")
    assert result.code == 0, result.output
    assert result.stdout.count("RUNNING") == SPACES, result.stdout
    builds = [e for e in admin.call("GET", "events")[seen:] if e["kind"] == "build"]
    assert len(builds) == SPACES, builds
    # One worker, and still every commit lands before the first Space could finish its build.
    first, last = min(map(when, builds)), max(map(when, builds))
    assert last - first < BUILD_S + START_S, builds
    routes = admin.call("GET", "stats")["by_route"]
    per_space_reads = {r: n for r, n in routes.items() if r in ("GET /api/spaces/{id}", "GET /api/spaces/{id}/runtime")}
    assert per_space_reads == {}, routes
    assert routes["GET /api/spaces"] >= 2, routes  # the plan's listing, then the gate's
    # Progress without a terminal: each Space's stages as the gate saw them, and the fleet line.
    assert "local-org/roll-0: BUILDING (" in result.stderr, result.stderr
    assert f"fleet: 0 building, 0 not started yet, {SPACES} running, 0 failed;" in result.stderr, result.stderr
