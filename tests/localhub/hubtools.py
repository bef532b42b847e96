"""Helpers shared by the local Hub conformance tests.

Everything here talks to a live local Hub over loopback HTTP: the Hub itself through the
real ``huggingface_hub.HfApi`` client, the admin API (``/_localhub/...``) through plain
httpx2 requests. Nothing here mocks or patches the client.
"""

from __future__ import annotations

import hashlib
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import httpx2
from huggingface_hub import CommitOperationAdd, HfApi

from reconciler.localhub.admin import admin_headers

HF_BIN = Path(sys.executable).parent / "hf"
LOCAL_USER = "local"
LOCAL_ORG = "local-org"

GRADIO_README = """---
title: Demo
sdk: gradio
sdk_version: 6.2.0
app_file: app.py
---

# Demo
"""

GRADIO_APP = b"import gradio as gr\n\ngr.Interface(fn=lambda x: x, inputs='text', outputs='text').launch()\n"


def git_blob_sha(data: bytes) -> str:
    """``git hash-object`` of ``data``: the id the Hub uses for regular files."""
    return hashlib.sha1(b"blob " + str(len(data)).encode() + b"\0" + data).hexdigest()


def api(hub: Any, token: str | bool | None = None) -> HfApi:
    """A real client bound to the local Hub (``HF_ENDPOINT`` is read at import time, so pass it)."""
    return HfApi(endpoint=hub.endpoint, token=token if token is not None else hub.token)


def admin(hub: Any, method: str, path: str, body: Any = None, *, params: Any = None) -> Any:
    """Call the admin API; returns the decoded JSON (or None for an empty body)."""
    url = f"{hub.endpoint}/_localhub/{path.lstrip('/')}"
    with httpx2.Client(timeout=30) as client:
        r = client.request(method, url, json=body, params=params, headers=admin_headers(hub.token))
    assert r.status_code < 300, f"admin {method} {path} -> {r.status_code}: {r.text}"
    return r.json() if r.content else None


def advance(hub: Any, seconds: float) -> None:
    """Move the simulated clock: builds and restarts finish without waiting."""
    admin(hub, "POST", "clock", {"advance_s": seconds})


def switch(hub: Any, **positions: bool) -> dict[str, bool]:
    """Set §13 fidelity switches (reconciler/localhub/fidelity.py) through the admin API."""
    result: dict[str, bool] = admin(hub, "POST", "fidelity", positions)
    return result


def settle(hub: Any) -> None:
    """Advance the clock far enough for any build + app start to complete."""
    advance(hub, 3600)


def add_token(hub: Any, token: str, user: str, role: str = "write", orgs: Iterable[str] = ()) -> str:
    admin(hub, "POST", "tokens", {"token": token, "user": user, "role": role, "orgs": list(orgs)})
    return token


def stats(hub: Any) -> dict[str, Any]:
    result: dict[str, Any] = admin(hub, "GET", "stats")
    return result


def reset_stats(hub: Any) -> None:
    admin(hub, "POST", "stats/reset")


def set_faults(hub: Any, **faults: Any) -> None:
    admin(hub, "POST", "faults", faults)


def clear_faults(hub: Any) -> None:
    admin(hub, "POST", "faults", {})


def route_count(hub: Any, route: str) -> int:
    return int(stats(hub)["by_route"].get(route, 0))


def events(hub: Any, repo: str | None = None) -> list[dict[str, Any]]:
    result = admin(hub, "GET", "events", params={"repo": repo} if repo else None)
    if isinstance(result, dict) and "events" in result:
        result = result["events"]
    assert isinstance(result, list), result
    return result


def make_gradio_space(
    client: HfApi,
    repo_id: str,
    *,
    extra_files: dict[str, bytes] | None = None,
    readme: str = GRADIO_README,
    app: bytes = GRADIO_APP,
    **create_kwargs: Any,
) -> str:
    """Create a gradio Space with a README and app.py in one commit; returns the commit sha."""
    client.create_repo(repo_id, repo_type="space", space_sdk="gradio", **create_kwargs)
    files = {"README.md": readme.encode(), "app.py": app, **(extra_files or {})}
    info = client.create_commit(
        repo_id,
        [CommitOperationAdd(path_in_repo=p, path_or_fileobj=data) for p, data in files.items()],
        commit_message="initial",
        repo_type="space",
    )
    return str(info.oid)


def run_in_background(fn: Callable[[], None], delay: float = 0.0) -> threading.Thread:
    def runner() -> None:
        if delay:
            time.sleep(delay)
        fn()

    thread = threading.Thread(target=runner, daemon=True)
    thread.start()
    return thread


@contextmanager
def served_hub(state: Path) -> Iterator[SimpleNamespace]:
    """`reconcile hub serve` in its own process, so clients and server use separate cores.

    Yields `endpoint` and `token`; stops the server with SIGINT and checks it exited cleanly.
    """
    command = [str(Path(sys.executable).parent / "reconcile"), "hub", "serve", "--port", "0", "--state", str(state)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        endpoint = process.stdout.readline().rsplit(" ", 1)[-1].strip()
        assert endpoint.startswith("http://127.0.0.1:"), endpoint
        yield SimpleNamespace(endpoint=endpoint, token=(state / "token").read_text().strip(), pid=process.pid)
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    assert process.returncode in (0, -signal.SIGINT, 130), process.stderr.read() if process.stderr else ""
