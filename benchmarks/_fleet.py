"""Benchmark fleets: a SpaceSet of N Spaces over one app folder, and seeding it on a local Hub."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from reconciler.apply import ApplyOptions, Outcome, apply_entries
from reconciler.hub.cache import TreeCache
from reconciler.hub.client import HubClient
from reconciler.manifests import load_manifests
from reconciler.model import DesiredSpace, Rung
from reconciler.pipeline import make_plan

SECRET_ENV = "BENCH_API_TOKEN"
APP = "import gradio as gr\n\ngr.Interface(fn=lambda x: x, inputs='text', outputs='text').launch()\n"

TEMPLATE = """\
apiVersion: spaces-reconciler/v1
kind: SpaceSet
metadata: {{name: {name}}}
spec:
  generators:
    - list: [{items}]
  template: |
    metadata:
      namespace: {namespace}
      name: {name}-{{{{ i }}}}
    spec:
      sdk: gradio
      sdkVersion: "6.15.1"
      hardware: {hardware}
      {sleep}
      variables: {{INDEX: "{{{{ i }}}}", MODE: "{mode}"{extra}}}
      secrets: {{API_TOKEN: {{fromEnv: {secret_env}}}}}
      source: {{path: ../app}}
      card:
        title: Bench {{{{ i }}}}
        emoji: "🚀"
        colorFrom: blue
        colorTo: indigo
"""


@dataclass(frozen=True)
class Fleet:
    root: Path
    namespace: str
    name: str
    count: int

    @property
    def manifests(self) -> Path:
        return self.root / "manifests"

    @property
    def app(self) -> Path:
        return self.root / "app"

    def ids(self) -> list[str]:
        return [f"{self.namespace}/{self.name}-{i}" for i in range(self.count)]


def write_fleet(
    root: Path,
    count: int,
    *,
    files: int = 50,
    namespace: str = "local-org",
    name: str = "bench",
    hardware: str = "cpu-basic",
    sleep_time: int | None = None,
    mode: str = "fast",
    extra_variables: dict[str, str] | None = None,
) -> Fleet:
    """A git-like workspace: `manifests/fleet.yaml` (a SpaceSet of `count`) and `app/` with `files` files
    (app.py, requirements.txt, README.md body and Python modules)."""
    app = root / "app"
    (app / "pkg").mkdir(parents=True, exist_ok=True)
    (root / ".git").mkdir(exist_ok=True)
    (app / "app.py").write_text(APP)
    (app / "requirements.txt").write_text("numpy\n")
    (app / "README.md").write_text("# Bench\n\nA benchmark Space.\n")
    for index in range(max(0, files - 3)):
        (app / "pkg" / f"module_{index:03}.py").write_text(f"VALUE = {index}\n" + "# padding\n" * 20)
    (root / "manifests").mkdir(exist_ok=True)
    items = ", ".join(f"{{i: {i}}}" for i in range(count))
    sleep = f"sleepTime: {sleep_time}" if sleep_time is not None else ""
    (root / "manifests" / "fleet.yaml").write_text(
        TEMPLATE.format(
            name=name,
            items=items,
            namespace=namespace,
            hardware=hardware,
            sleep=sleep,
            mode=mode,
            extra="".join(f', {k}: "{v}"' for k, v in (extra_variables or {}).items()),
            secret_env=SECRET_ENV,
        )
    )
    return Fleet(root, namespace, name, count)


def load(fleet: Fleet) -> tuple[DesiredSpace, ...]:
    result = load_manifests([fleet.manifests], repo_root=fleet.root)
    if not result.ok:
        raise RuntimeError("\n".join(str(d) for d in result.diagnostics))
    return result.spaces


def bench_env() -> None:
    """Secret value and fingerprint key for every run: realistic plans compare secret fingerprints."""
    os.environ[SECRET_ENV] = "bench-secret-value"
    os.environ["RECONCILE_FINGERPRINT_KEY"] = "bench-fingerprint-key"
    os.environ["HF_HUB_DISABLE_TELEMETRY"] = "1"
    os.environ["HF_HUB_DISABLE_PROGRESS_BARS"] = "1"


def apply_all(
    endpoint: str, token: str, desired: Sequence[DesiredSpace], parallelism: int = 16, cache: Path | None = None
) -> int:
    """Plan and apply `desired` with our tool, no health gate; returns the number of Spaces changed."""
    with HubClient(endpoint, token, parallelism=parallelism) as client:
        trees = TreeCache(cache)
        plan, observation = make_plan(client, desired, cache=trees, parallelism=parallelism)
        todo = tuple(e for e in plan.spaces if e.rung is not Rung.NONE)
        results = apply_entries(
            client,
            todo,
            {d.id: d for d in desired},
            dict(observation.observed),
            ApplyOptions(wait=False, parallelism=parallelism),
            lambda _space, _step: None,
            trees,
        )
    failed = [r for r in results if r.outcome is Outcome.FAILED]
    if failed:
        raise RuntimeError(f"seeding failed for {len(failed)} Space(s): {failed[0].id}: {failed[0].message}")
    return len(todo)
