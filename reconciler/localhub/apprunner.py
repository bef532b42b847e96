"""Gradio Spaces run for real (opt-in: `hub serve --run-apps`, `reconcile --hub local --run-apps`).

Like LocalStack running a Lambda: once the simulated build of a gradio Space is done, its app
is launched from the committed files, in a work folder, on a free loopback port, and the
process decides the stage. Everything else (build, docker and static Spaces, hardware) stays
simulated. Evidence for each behaviour is next to it:

- Environment: only the Space's variables and secrets plus the helper variables the Spaces
  docs list ("Spaces overview > Helper environment variables": SYSTEM=spaces, SPACE_ID,
  SPACE_AUTHOR_NAME, SPACE_REPO_NAME, SPACE_HOST), never this process's own environment (it
  may hold HF_TOKEN). The app binds GRADIO_SERVER_NAME / GRADIO_SERVER_PORT, which gradio's
  `Blocks.launch` reads (gradio/blocks.py), on 127.0.0.1 only.
- Requirements are not installed (no network): a missing module ends the process with its
  ImportError, RUNTIME_ERROR with that traceback, as a broken build's app does on the Hub.
- Stage: APP_STARTING until the app answers HTTP, then RUNNING; RUNTIME_ERROR when the
  process exits, with "Exit code: N. Reason: <last line>" as errorMessage (the shape of the
  Hub's message, reconciler/localhub/runtime.py) and its output as the run log.
- Secret values are kept in memory only (the store keeps keyed digests): after the local Hub
  restarts, an app runs without the secrets written before, until they are written again.
- The number of running apps is bounded: launching one more puts the least recently used
  app to sleep (stage SLEEPING, as a Space past its sleep time shows on the Hub); a request
  through its proxy wakes it, as a visit wakes a sleeping Space (Spaces docs, "Sleep time").
- gradio's own Spaces reloader (started when SYSTEM=spaces) is left out: on the Hub it has the
  Space's container to itself (the `spaces` package, port 7887); here the local Hub reloads an
  app by starting a new process (LAUNCHER says why).
- Processes never outlive the local Hub: each is its own process group, stopped with the
  Hub (`stop_all`), and on Linux asked to die with its parent (PR_SET_PDEATHSIG).
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from reconciler.files import open_private, private_dir
from reconciler.localhub import runtime
from reconciler.localhub.state import Repo

APPS_PREFIX = "/--apps/"  # the proxy route of running apps on the local Hub's own origin
MAX_LINES = 5000  # run log lines kept per app
STOP_GRACE_S = 3.0
BASE_ENV = ("PATH", "LANG", "LC_ALL", "TMPDIR", "SYSTEMROOT")


def gradio_available() -> bool:
    return importlib.util.find_spec("gradio") is not None


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


# Run in the app's process before its file: ask Linux to end it when the local Hub's process
# ends (prctl PR_SET_PDEATHSIG, prctl(2)), and end now if that parent is already gone. Done
# after exec rather than in a preexec_fn, which is unsafe in a process with threads.
LAUNCHER = """\
import ctypes, os, runpy, signal, sys
parent, app = int(sys.argv[1]), sys.argv[2]
if sys.platform.startswith("linux"):
    try:
        ctypes.CDLL(None).prctl(1, signal.SIGTERM)
    except (OSError, AttributeError):
        pass
if os.getppid() != parent:
    sys.exit(0)
sys.argv = [app]
sys.path.insert(0, os.getcwd())
# With SYSTEM=spaces gradio starts its own Spaces reloader (gradio/http_server.py, when
# utils.get_space() names a Space). On the Hub it runs in the Space's own container, with the
# `spaces` package and port 7887 to itself; here apps share one machine (the package is not
# installed, the port would be taken by the first app, on 0.0.0.0) and the local Hub reloads an
# app by starting a new process. So that reloader is left out; nothing else of gradio changes.
# Done when the app imports gradio, so that other apps start as fast as before.
import importlib.abc, importlib.util
class NoSpacesReloader(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name != "gradio.http_server":
            return None
        sys.meta_path.remove(self)
        spec = importlib.util.find_spec(name)
        load = spec.loader.exec_module
        def exec_module(module):
            load(module)
            module.get_space = lambda: None
        spec.loader.exec_module = exec_module
        return spec
sys.meta_path.insert(0, NoSpacesReloader())
runpy.run_path(app, run_name="__main__")
"""


@dataclass
class App:
    key: tuple[str, float]  # (commit, run start): a new run or a hot reload launches anew
    port: int
    folder: Path
    argv: list[str]
    env: dict[str, str]  # holds secret values: memory only, never written or shown
    process: subprocess.Popen[bytes] | None = None
    lines: list[tuple[float, str]] = field(default_factory=list)
    answered: bool = False
    sleeping: bool = False
    used: float = field(default_factory=time.monotonic)
    booted: float = 0.0  # store clock at the latest (re)launch

    @property
    def exit_code(self) -> int | None:
        return None if self.process is None else self.process.poll()


@dataclass(frozen=True)
class AppState:
    stage: str  # APP_STARTING, RUNNING, RUNTIME_ERROR, SLEEPING
    error: str | None = None


class AppRunner:
    def __init__(self, root: Path, now: Callable[[], float], limit: int = 4, python: str = sys.executable) -> None:
        self.root = root  # work folders, one per Space and commit
        self.now = now
        self.limit = limit
        self.python = python
        self.apps: dict[str, App] = {}  # by repo id
        self.by_subdomain: dict[str, str] = {}
        self.secrets: dict[str, dict[str, str]] = {}
        self.lock = threading.RLock()
        self._spawner = ThreadPoolExecutor(max_workers=1, thread_name_prefix="app-spawner")

    # ------------------------------------------------------------------ secrets (memory only)
    def remember_secret(self, repo_id: str, key: str, value: str) -> None:
        self.secrets.setdefault(repo_id, {})[key] = value

    def forget_secret(self, repo_id: str, key: str) -> None:
        self.secrets.get(repo_id, {}).pop(key, None)

    # ------------------------------------------------------------------ processes
    def ensure(
        self,
        repo_id: str,
        subdomain: str,
        key: tuple[str, float],
        files: Callable[[], dict[str, bytes]],
        app_file: str,
        variables: dict[str, str],
    ) -> AppState:
        """The state of the app of this run, launched if it is not yet."""
        with self.lock:
            app = self.apps.get(repo_id)
            if app is None or app.key != key:
                self.stop(repo_id)
                app = self._launch(repo_id, subdomain, key, files(), app_file, variables)
            return self.state(app)

    def state(self, app: App) -> AppState:
        code = app.exit_code
        if code is not None and not app.sleeping:
            last = next((text.strip() for _, text in reversed(app.lines) if text.strip()), "")
            return AppState("RUNTIME_ERROR", f"Exit code: {code}. Reason: {last}")
        if app.sleeping:
            return AppState("SLEEPING")
        return AppState("RUNNING" if app.answered else "APP_STARTING")

    def _launch(
        self,
        repo_id: str,
        subdomain: str,
        key: tuple[str, float],
        files: dict[str, bytes],
        app_file: str,
        variables: dict[str, str],
    ) -> App:
        self._bound()
        folder = self.root / subdomain / key[0][:12]
        shutil.rmtree(folder, ignore_errors=True)
        for path, data in files.items():
            target = folder / path
            private_dir(target.parent)
            with open_private(target) as out:
                out.write(data)
        private_dir(folder)
        port = free_port()
        namespace, name = repo_id.split("/", 1)
        env = {k: os.environ[k] for k in BASE_ENV if k in os.environ}
        env.update(variables)
        env.update(self.secrets.get(repo_id, {}))
        env.update(
            HOME=str(folder),
            PYTHONUNBUFFERED="1",
            SYSTEM="spaces",
            SPACE_ID=repo_id,
            SPACE_AUTHOR_NAME=namespace,
            SPACE_REPO_NAME=name,
            SPACE_HOST=f"{subdomain}.hf.space",
            GRADIO_SERVER_NAME="127.0.0.1",
            GRADIO_SERVER_PORT=str(port),
            GRADIO_ANALYTICS_ENABLED="False",
            HF_HUB_DISABLE_TELEMETRY="1",
            HF_HUB_OFFLINE="1",
        )
        app = App(
            key=key,
            port=port,
            folder=folder,
            argv=[self.python, "-u", "-c", LAUNCHER, str(os.getpid()), app_file],
            env=env,
        )
        self.apps[repo_id] = app
        self.by_subdomain[subdomain] = repo_id
        self._spawn(app)
        return app

    def _spawn(self, app: App) -> None:
        # PR_SET_PDEATHSIG fires when the *thread* that forked the child ends (prctl(2)), and the
        # server's worker threads come and go: every app is forked from this one long-lived thread.
        app.process = self._spawner.submit(self._popen, app).result()
        app.sleeping, app.answered, app.booted, app.lines = False, False, self.now(), []
        threading.Thread(target=self._read, args=(app, app.process), daemon=True).start()
        threading.Thread(target=self._watch, args=(app,), daemon=True).start()

    @staticmethod
    def _popen(app: App) -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            app.argv,
            cwd=app.folder,
            env=app.env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def _read(self, app: App, process: subprocess.Popen[bytes]) -> None:
        assert process.stdout is not None
        for raw in process.stdout:
            app.lines.append((self.now(), raw.decode("utf-8", "replace")))
            if len(app.lines) > MAX_LINES:
                del app.lines[: len(app.lines) - MAX_LINES]

    def _watch(self, app: App) -> None:
        """RUNNING once the app accepts an HTTP request (any status), polled until it exits."""
        while app.exit_code is None and not app.answered:
            try:
                with socket.create_connection(("127.0.0.1", app.port), timeout=0.5) as conn:
                    conn.sendall(b"GET / HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n")
                    if conn.recv(12).startswith(b"HTTP/"):
                        app.answered = True
                        return
            except OSError:
                pass
            time.sleep(0.2)

    def _bound(self) -> None:
        awake = [a for a in self.apps.values() if not a.sleeping and a.exit_code is None]
        while len(awake) >= self.limit:
            oldest = min(awake, key=lambda a: a.used)
            oldest.sleeping = True
            _terminate(oldest.process)
            awake.remove(oldest)

    def wake(self, repo_id: str) -> App | None:
        """The app serving requests for this Space, woken if it sleeps; None if there is none."""
        with self.lock:
            app = self.apps.get(repo_id)
            if app is None:
                return None
            app.used = time.monotonic()
            if not app.sleeping:
                return app
            self._bound()
            self._spawn(app)
            return app

    def stop(self, repo_id: str) -> None:
        with self.lock:
            app = self.apps.pop(repo_id, None)
            if app is None:
                return
            self.by_subdomain = {s: r for s, r in self.by_subdomain.items() if r != repo_id}
            _terminate(app.process)

    def forget(self, repo_id: str) -> None:
        """The Space was deleted or moved: its process and secrets go."""
        self.stop(repo_id)
        self.secrets.pop(repo_id, None)

    def stop_all(self) -> None:
        with self.lock:
            for repo_id in list(self.apps):
                self.stop(repo_id)
        self._spawner.shutdown(wait=False)

    def started(self, repo_id: str) -> float:
        app = self.apps.get(repo_id)
        return app.booted if app is not None else self.now()

    def run_log(self, repo_id: str) -> list[tuple[float, str]] | None:
        app = self.apps.get(repo_id)
        return None if app is None else list(app.lines)


def _terminate(process: subprocess.Popen[bytes] | None) -> None:
    if process is None or process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=STOP_GRACE_S)
    except (ProcessLookupError, PermissionError):
        return
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=STOP_GRACE_S)


# Simulated stages under which the app runs: the simulated build is over and the Space is
# starting or up. BUILDING keeps the previous app serving (the Hub's RUNNING_BUILDING);
# PAUSED, NO_APP_FILE and BUILD_ERROR stop it.
LIVE_STAGES = ("APP_STARTING", "RUNNING", "RUNTIME_ERROR")
KEEP_STAGES = ("BUILDING",)


def live_view(
    runner: AppRunner,
    repo: Repo,
    view: runtime.View,
    sdk: str,
    subdomain: str,
    files: Callable[[], dict[str, bytes]],
) -> runtime.View:
    """The stage the real process gives a gradio Space; other Spaces keep the simulated one."""
    if sdk != "gradio":
        return view
    run = repo.run
    if view.pending or view.stage in KEEP_STAGES:
        return view  # the previous app serves until the new start begins (hub-contract §13)
    if view.stage not in LIVE_STAGES or run.get("target") is None:
        runner.stop(repo.id)
        return view
    variables = {k: str(v.get("value", "")) for k, v in repo.variables.items()}
    entry = runtime.app_file(sdk, repo.card)
    state = runner.ensure(repo.id, subdomain, (run["target"], float(run["start"])), files, entry, variables)
    if state.stage == "RUNTIME_ERROR":
        return runtime.View("RUNTIME_ERROR", view.sha, view.hardware, True, state.error)
    return runtime.View(state.stage, view.sha, view.hardware, True, None)
