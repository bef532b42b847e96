"""LocalHub: the local Hub served by uvicorn, in a background thread or in the foreground."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable
from pathlib import Path
from types import TracebackType

import uvicorn

from reconciler.localhub.apprunner import AppRunner, gradio_available
from reconciler.localhub.clock import Clock
from reconciler.localhub.fidelity import Fidelity
from reconciler.localhub.runtime import Durations
from reconciler.localhub.server import HubApp
from reconciler.localhub.state import Store
from reconciler.localhub.web import Core


class LocalHub:
    def __init__(
        self,
        state_dir: Path,
        host: str = "127.0.0.1",
        port: int = 0,
        build_seconds: float = 20.0,
        restart_seconds: float = 5.0,
        stage_lag_seconds: float = 3.0,
        fidelity: Fidelity | None = None,
        run_apps: bool = False,
        max_apps: int = 4,
        clock_offset_s: float | None = None,
    ) -> None:
        """`run_apps`: gradio Spaces run for real when gradio is importable (apprunner.py);
        at most `max_apps` at once. `clock_offset_s`: the Hub's clock runs this far ahead of
        this machine's (negative: behind), as a runner with a skewed clock sees the Hub."""
        self.store = Store(Path(state_dir))
        if clock_offset_s is not None:
            self.store.clock = Clock(clock_offset_s)
            self.store.save_clock()
        apps = None
        if run_apps:
            if not gradio_available():
                raise RuntimeError("--run-apps needs gradio installed in this Python environment")
            apps = AppRunner(Path(state_dir) / "apps", self.store.clock.now, limit=max_apps)
        self.apps = apps
        durations = Durations(build_seconds, restart_seconds, stage_lag_seconds)
        self.app = HubApp(Core(self.store, durations, fidelity or Fidelity(), apps))
        self.host = host
        self._requested_port = port
        self._socket: socket.socket | None = None
        self._port: int | None = None
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def token(self) -> str:
        """The write token of the default user `local` (member of `local-org`)."""
        return self.store.default_token

    @property
    def fidelity(self) -> Fidelity:
        """The §13 switches this Hub runs with (hub-contract §13); settable while it serves."""
        return self.app.core.fidelity

    @property
    def port(self) -> int:
        if self._port is None:
            raise RuntimeError("the local Hub is not listening; call start() first")
        return self._port

    @property
    def endpoint(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def _bind(self) -> uvicorn.Server:
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        # IPPROTO_TCP explicitly: asyncio only sets TCP_NODELAY on accepted sockets whose proto is TCP,
        # and without it every keep-alive request waits ~40 ms for a delayed ACK.
        sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((self.host, self._requested_port))
        except OSError:
            sock.close()
            raise
        # Listening now lets clients connect (and queue) as soon as the endpoint is announced.
        sock.listen(2048)
        self._socket = sock
        self._port = int(sock.getsockname()[1])
        config = uvicorn.Config(
            self.app,
            lifespan="off",
            access_log=False,
            log_level="warning",
            timeout_graceful_shutdown=2,
            server_header=False,
            date_header=False,  # the app sends the Hub clock's (server.dated)
        )
        self._server = uvicorn.Server(config)
        return self._server

    @property
    def bound(self) -> bool:
        """True once the listening socket exists (so an OSError after that is not about the address)."""
        return self._socket is not None

    def start(self) -> LocalHub:
        """Serve in a daemon thread; returns once the socket accepts connections."""
        server = self._bind()
        self._thread = threading.Thread(
            target=server.run, kwargs={"sockets": [self._socket]}, daemon=True, name="localhub"
        )
        self._thread.start()
        deadline = time.monotonic() + 15
        while not server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"the local Hub failed to start on {self.host}:{self._requested_port}")
            time.sleep(0.01)
        return self

    def serve_forever(self, announce: Callable[[LocalHub], None] | None = None) -> None:
        """Serve in the calling thread until interrupted (Ctrl-C or SIGTERM); `announce` runs once bound."""
        server = self._bind()
        if announce is not None:
            announce(self)
        try:
            server.run(sockets=[self._socket] if self._socket else None)
        finally:
            if self.apps is not None:
                self.apps.stop_all()

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)
        if self._socket is not None:
            self._socket.close()
        if self.apps is not None:
            self.apps.stop_all()  # no app outlives its local Hub
        self._server = self._thread = None

    def __enter__(self) -> LocalHub:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.stop()
