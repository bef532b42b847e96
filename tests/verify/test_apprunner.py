"""The local Hub's app runner with plain Python HTTP servers (no gradio): stages from the
process, the bound on running apps (the least recently used sleeps, a request wakes it), the
environment an app gets, and no process left behind."""

from __future__ import annotations

import os
import stat
import time
from pathlib import Path

from reconciler.localhub.apprunner import AppRunner, AppState

SERVER = b"""\
import http.server, os
print("booted with", sorted(k for k in os.environ if k in ("MODE", "TOKEN", "HF_TOKEN", "CANARY_SECRET")), flush=True)
port = int(os.environ["GRADIO_SERVER_PORT"])
http.server.HTTPServer(("127.0.0.1", port), http.server.SimpleHTTPRequestHandler).serve_forever()
"""


def wait_for(runner: AppRunner, repo_id: str, stage: str, timeout: float = 30.0) -> AppState:
    deadline = time.monotonic() + timeout
    while True:
        state = runner.state(runner.apps[repo_id])
        if state.stage == stage or time.monotonic() > deadline:
            return state
        time.sleep(0.05)


def launch(runner: AppRunner, repo_id: str, code: bytes = SERVER, key: str = "a" * 40) -> AppState:
    sub = repo_id.replace("/", "-")
    return runner.ensure(repo_id, sub, (key, 0.0), lambda: {"app.py": code}, "app.py", {"MODE": "test"})


def test_stage_environment_bound_and_wake(tmp_path: Path) -> None:
    runner = AppRunner(tmp_path / "apps", time.time, limit=1)
    runner.remember_secret("ns/one", "TOKEN", "s3cr3t-value")
    try:
        assert launch(runner, "ns/one").stage == "APP_STARTING"
        assert wait_for(runner, "ns/one", "RUNNING").stage == "RUNNING"
        lines = "".join(text for _, text in runner.run_log("ns/one") or [])
        # Variables and secrets, nothing of this process's environment (HF_TOKEN, CANARY_SECRET).
        assert "booted with ['MODE', 'TOKEN']" in lines
        first = runner.apps["ns/one"].process
        launch(runner, "ns/two")  # over the bound: the least recently used app sleeps
        assert runner.state(runner.apps["ns/one"]).stage == "SLEEPING"
        assert first is not None and first.poll() is not None
        assert runner.wake("ns/one") is not None  # a request wakes it; ns/two sleeps in turn
        assert wait_for(runner, "ns/one", "RUNNING").stage == "RUNNING"
        assert runner.state(runner.apps["ns/two"]).stage == "SLEEPING"
        # A new commit (another key) replaces the process.
        before = runner.apps["ns/one"].process
        launch(runner, "ns/one", key="b" * 40)
        assert before is not None and before.poll() is not None
    finally:
        processes = [app.process for app in runner.apps.values()]
        runner.stop_all()
    assert all(p is None or p.poll() is not None for p in processes)
    assert runner.apps == {}


def test_crash_is_runtime_error_with_the_last_line(tmp_path: Path) -> None:
    runner = AppRunner(tmp_path / "apps", time.time)
    try:
        launch(runner, "ns/crash", b"import no_such_module_here\n")
        state = wait_for(runner, "ns/crash", "RUNTIME_ERROR")
        assert state.stage == "RUNTIME_ERROR"
        assert state.error == "Exit code: 1. Reason: ModuleNotFoundError: No module named 'no_such_module_here'"
        log = "".join(text for _, text in runner.run_log("ns/crash") or [])
        assert "Traceback (most recent call last):" in log
    finally:
        runner.stop_all()


def test_work_folders_are_private_whatever_the_umask(tmp_path: Path) -> None:
    # They hold a private Space's files, under the local Hub's state folder (owner-only, state.py).
    runner = AppRunner(tmp_path / "apps", time.time)
    previous = os.umask(0o022)
    try:
        files = {"app.py": b"import no_such_module_here\n", "src/util.py": b"x = 1\n"}
        runner.ensure("ns/private", "ns-private", ("c" * 40, 0.0), lambda: files, "app.py", {})
        assert wait_for(runner, "ns/private", "RUNTIME_ERROR").stage == "RUNTIME_ERROR"
    finally:
        os.umask(previous)
        runner.stop_all()
    apps = tmp_path / "apps"
    folder = apps / "ns-private" / ("c" * 12)
    expected = {apps: 0o700, apps / "ns-private": 0o700, folder: 0o700, folder / "src": 0o700}
    expected.update({folder / "app.py": 0o600, folder / "src" / "util.py": 0o600})
    assert {path: stat.S_IMODE(path.stat().st_mode) for path in expected} == expected


GRADIO_APP = b"""\
import gradio as gr

gr.Interface(lambda name: f"Hello, {name}!", "text", "text", api_name="greet").launch()
"""


def test_a_gradio_app_boots_without_a_traceback(tmp_path: Path) -> None:
    # SYSTEM=spaces makes gradio start its own Spaces reloader, which needs the `spaces` package
    # and port 7887 of a container of its own: run here, it logged a traceback at every boot, and
    # a `logs.forbid: [Traceback ...]` check failed on every app the local Hub runs.
    runner = AppRunner(tmp_path / "apps", time.time, limit=2)
    try:
        launch(runner, "ns/greeter", GRADIO_APP)
        launch(runner, "ns/other", GRADIO_APP)
        for repo_id in ("ns/greeter", "ns/other"):
            assert wait_for(runner, repo_id, "RUNNING", timeout=120).stage == "RUNNING"
        time.sleep(2.0)  # the reloader thread started right after the server
        for repo_id in ("ns/greeter", "ns/other"):
            log = "".join(text for _, text in runner.run_log(repo_id) or [])
            assert "Running on local URL" in log, log
            assert "Traceback" not in log and "7887" not in log, log
    finally:
        runner.stop_all()
