"""The local Hub in its own process for the benchmarks, with request body bytes counted.

`python benchmarks/_hubserver.py --state DIR [--build-seconds S]` prints the endpoint on its
first line and serves until SIGINT/SIGTERM. Besides the Hub and its admin API it answers
`GET /_bench/bytes` ({"total": n, "by_route": {...}, "statuses": {"200": n, "429": n}}) and
`POST /_bench/bytes/reset`: the bytes of every request body the server received and the
status of every answer, so uploads are measured at the receiving end for our tool and the
baseline alike.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import signal
import sys
import threading
from collections import Counter
from pathlib import Path
from typing import Any

from reconciler.hub.pacing import route_template
from reconciler.localhub import LocalHub


class ByteCounter:
    """ASGI wrapper: counts request body bytes by route, then hands the request to the Hub."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.lock = threading.Lock()
        self.by_route: Counter[str] = Counter()
        self.statuses: Counter[int] = Counter()

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope["path"]
        if path.startswith("/_bench/bytes"):
            await self._admin(scope, send)
            return
        route = route_template(scope["method"], path)

        async def counting_receive() -> Any:
            message = await receive()
            if message.get("type") == "http.request":
                with self.lock:
                    self.by_route[route] += len(message.get("body", b""))
            return message

        async def counting_send(message: Any) -> None:
            if message.get("type") == "http.response.start":
                with self.lock:
                    self.statuses[int(message["status"])] += 1
            await send(message)

        await self.app(scope, counting_receive, counting_send)

    async def _admin(self, scope: Any, send: Any) -> None:
        with self.lock:
            if scope["method"] == "POST":
                self.by_route.clear()
                self.statuses.clear()
            body = json.dumps(
                {
                    "total": sum(self.by_route.values()),
                    "by_route": dict(self.by_route),
                    "statuses": {str(k): v for k, v in sorted(self.statuses.items())},
                }
            ).encode()
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"application/json")]})
        await send({"type": "http.response.body", "body": body})


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--state", type=Path, required=True)
    parser.add_argument("--build-seconds", type=float, default=1.0)
    parser.add_argument("--restart-seconds", type=float, default=0.5)
    parser.add_argument("--stage-lag-seconds", type=float, default=3.0)
    args = parser.parse_args()
    hub = LocalHub(
        args.state,
        port=0,
        build_seconds=args.build_seconds,
        restart_seconds=args.restart_seconds,
        stage_lag_seconds=args.stage_lag_seconds,
    )
    hub.app = ByteCounter(hub.app)  # type: ignore[assignment]
    signal.signal(signal.SIGTERM, lambda *_: signal.raise_signal(signal.SIGINT))

    def announce(ready: LocalHub) -> None:
        print(ready.endpoint, flush=True)
        print(ready.token, flush=True)

    with contextlib.suppress(KeyboardInterrupt):
        hub.serve_forever(announce)
    sys.exit(0)


if __name__ == "__main__":
    main()
