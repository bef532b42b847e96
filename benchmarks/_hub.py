"""A served local Hub (its own process, so client and server use separate cores) and its admin API."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path
from types import TracebackType
from typing import Any

import httpx2

from reconciler.localhub.admin import admin_headers

SERVER = Path(__file__).with_name("_hubserver.py")


class ServedHub:
    def __init__(
        self, state: Path, build_seconds: float = 1.0, restart_seconds: float = 0.5, stage_lag_seconds: float = 3.0
    ) -> None:
        self.state = state
        self.args = ["--build-seconds", str(build_seconds), "--restart-seconds", str(restart_seconds),
                     "--stage-lag-seconds", str(stage_lag_seconds)]  # fmt: skip
        self.process: subprocess.Popen[str] | None = None
        self.endpoint = ""
        self.token = ""
        self.http = httpx2.Client(timeout=120)

    def __enter__(self) -> ServedHub:
        command = [sys.executable, str(SERVER), "--state", str(self.state), *self.args]
        self.process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
        assert self.process.stdout is not None
        self.endpoint = self.process.stdout.readline().strip()
        self.token = self.process.stdout.readline().strip()
        if not self.endpoint.startswith("http://"):
            raise RuntimeError(f"the local Hub did not start: {self.endpoint!r}")
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None) -> None:
        self.http.close()
        if self.process is not None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    # ------------------------------------------------------------------ admin API
    def admin(self, method: str, path: str, body: Any = None, params: Any = None) -> Any:
        response = self.http.request(
            method, f"{self.endpoint}/_localhub/{path}", json=body, params=params, headers=admin_headers(self.token)
        )
        response.raise_for_status()
        return response.json()

    def faults(self, **faults: Any) -> None:
        self.admin("POST", "faults", faults)

    def stats(self) -> dict[str, Any]:
        return dict(self.admin("GET", "stats"))

    def reset_stats(self) -> None:
        self.admin("POST", "stats/reset", {})
        self.http.post(f"{self.endpoint}/_bench/bytes/reset").raise_for_status()

    def body_bytes(self) -> dict[str, Any]:
        response = self.http.get(f"{self.endpoint}/_bench/bytes")
        response.raise_for_status()
        return dict(response.json())

    def advance(self, seconds: float) -> None:
        self.admin("POST", "clock", {"advance_s": seconds})

    def events(self, repo: str | None = None) -> list[dict[str, Any]]:
        return list(self.admin("GET", "events", params={"repo": repo} if repo else None))

    def repo(self, space_id: str) -> dict[str, Any]:
        return dict(self.admin("GET", f"repos/space/{space_id}"))

    def add_token(self, token: str, user: str, role: str, orgs: list[str]) -> None:
        self.admin("POST", "tokens", {"token": token, "user": user, "role": role, "orgs": orgs})
