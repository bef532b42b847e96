"""Fleets, the admin API and state checks shared by the reliability suite.

Every fleet carries a secret whose value is the canary and a fromFile secret holding the file
canary (tests/conftest.py), so a leak anywhere in the faulty, killed or concurrent paths fails
the test that caused it; the output of applies run as subprocesses is checked here too (pytest
does not capture it).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import httpx2

from reconciler.localhub import LocalHub
from reconciler.localhub.admin import admin_headers
from tests.conftest import has_canary, secret_file

RECONCILE = Path(sys.executable).parent / "reconcile"
SECRET_ENV = "RELIABILITY_TOKEN"

FLEET = """\
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
      variables: {{INDEX: "{{{{ i }}}}", VERSION: "{version}"}}
      secrets: {{API_TOKEN: {{fromEnv: {secret_env}}}, KEY_FILE: {{fromFile: ../secrets/key.txt}}}}
      source: {{path: ../app}}
      card:
        title: Reliability {{{{ i }}}}
        colorFrom: blue
        colorTo: indigo
"""


def write_fleet(
    root: Path, count: int, version: str = "1", name: str = "rel", namespace: str = "local-org"
) -> list[str]:
    """manifests/fleet.yaml and app/ under `root` (a repository root); returns the Space ids.

    `version` goes into a variable and into app.py, so a new version is a settings change
    plus a one-file upload for every Space."""
    (root / ".git").mkdir(parents=True, exist_ok=True)
    app = root / "app"
    app.mkdir(exist_ok=True)
    (app / "app.py").write_text(f"import gradio as gr\n\nVERSION = {version!r}\n")
    (app / "requirements.txt").write_text("numpy\n")
    secret_file(root / "secrets" / "key.txt")
    (root / "manifests").mkdir(exist_ok=True)
    items = ", ".join(f"{{i: {i}}}" for i in range(count))
    (root / "manifests" / "fleet.yaml").write_text(
        FLEET.format(name=name, items=items, namespace=namespace, version=version, secret_env=SECRET_ENV)
    )
    return [f"{namespace}/{name}-{i}" for i in range(count)]


class Admin:
    """The local Hub's admin API (loopback only)."""

    def __init__(self, hub: LocalHub) -> None:
        self.endpoint = hub.endpoint
        self.headers = admin_headers(hub.token)

    def call(self, method: str, path: str, body: Any = None, params: Any = None) -> Any:
        with httpx2.Client(timeout=60) as http:
            response = http.request(
                method, f"{self.endpoint}/_localhub/{path}", json=body, params=params, headers=self.headers
            )
        assert response.status_code < 300, f"{method} {path}: {response.status_code} {response.text}"
        return response.json()

    def faults(self, **faults: Any) -> int:
        """Inject faults; returns their seed, printed so a failing test can be replayed with it."""
        seed = int(self.call("POST", "faults", faults)["seed"])
        print(f"local Hub faults {sorted(faults)} with seed {seed}")
        return seed

    def clear_faults(self) -> None:
        self.call("POST", "faults", {})

    def stats(self) -> dict[str, Any]:
        return dict(self.call("GET", "stats"))

    def reset_stats(self) -> None:
        self.call("POST", "stats/reset", {})

    def repo(self, space_id: str) -> dict[str, Any]:
        return dict(self.call("GET", f"repos/space/{space_id}"))

    def events(self, space_id: str | None = None) -> list[dict[str, Any]]:
        return list(self.call("GET", "events", params={"repo": space_id} if space_id else None))

    def add_token(self, token: str, user: str, role: str, orgs: list[str]) -> None:
        self.call("POST", "tokens", {"token": token, "user": user, "role": role, "orgs": orgs})


def writes(stats: dict[str, Any]) -> dict[str, int]:
    """Requests that could change state, by route (the admin API is not counted by the Hub)."""
    return {
        route: count
        for route, count in stats["by_route"].items()
        if route.split(" ", 1)[0] in ("POST", "PUT", "DELETE", "PATCH") and "preupload" not in route
        and "paths-info" not in route
    }  # fmt: skip


def cli_env(hub: LocalHub, token: str | None = None) -> dict[str, str]:
    """Environment for `reconcile` subprocesses: this Hub, the canary secret, no colour."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(("HF_", "RECONCILE_"))}
    env.update(
        HF_ENDPOINT=hub.endpoint,
        HF_TOKEN=token or hub.token,
        HF_HUB_DISABLE_TELEMETRY="1",
        NO_COLOR="1",
        RECONCILE_POLL_INTERVAL="0.1",
    )
    return env


def spawn(args: list[str], cwd: Path, env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [str(RECONCILE), *args], cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def checked(lines: Iterable[str]) -> Iterator[str]:
    """Lines of a subprocess's output, each checked for the canaries as it is read."""
    for line in lines:
        assert not has_canary(line), f"canary secret value in the output of a reconcile subprocess: {line[:200]!r}"
        yield line


def finish(process: subprocess.Popen[str], timeout: float = 120) -> tuple[str, str]:
    """Wait for a subprocess; its (rest of) stdout and stderr, checked for the canaries."""
    stdout, stderr = process.communicate(timeout=timeout)
    assert not has_canary(stdout + stderr), "canary secret value in the output of a reconcile subprocess"
    return stdout, stderr


def kill9(process: subprocess.Popen[str]) -> None:
    if process.poll() is None:
        os.kill(process.pid, signal.SIGKILL)
    finish(process, timeout=30)
