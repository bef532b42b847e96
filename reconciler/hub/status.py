"""What the health gate and the hot-reload check read: a Space's status, and its replicas' reload events.

Both read only what the Hub is known to send (hub-contract §10, §13): `space_info.sha`, the
runtime's `stage`, `errorMessage` and `hotReloading`; a runtime `sha` only where the Hub sends
one. The reload events are read as `hf spaces hot-reload` reads them, through huggingface_hub's
private `_hot_reload.ReloadClient` (tests/hub/test_private_api.py guards its shape).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from huggingface_hub._hot_reload.client import ReloadClient
from huggingface_hub.hf_api import SpaceInfo

from reconciler.health import HotReloadStatus, Stage
from reconciler.hub.client import HubClient


@dataclass(frozen=True)
class SpaceStatus:
    """One read of a Space. `runtime_sha` is None where the Hub sends none (the recorded case)."""

    sha: str | None
    stage: Stage | None
    runtime_sha: str | None
    error: str | None
    hot_reload: HotReloadStatus | None
    replicas: tuple[tuple[str, HotReloadStatus | None], ...]
    host: str | None
    subdomain: str | None


@dataclass(frozen=True)
class ReloadProblem:
    """An `exception` or `error` event in one replica's reload stream."""

    replica: str
    kind: str
    traceback: str
    region: str | None  # "line 3" or "lines 3-5" of the reloaded file, for an exception


# What the fleet gate asks the listing for: the commit at the head and the runtime (hub-contract §3,
# observed `GET /api/spaces?author=alice&expand=sha&expand=runtime`). Not `host`/`subdomain`: host
# is not an expand value, and only the hot-reload check (per Space, read_status) needs them.
STATUS_EXPAND = ["sha", "runtime"]


def list_statuses(client: HubClient, namespace: str) -> dict[str, SpaceStatus]:
    """Every Space of `namespace` as the listing shows it, by lower-case id (Hub ids are
    case-insensitive, hub-contract §13): one call per page."""

    def fetch() -> dict[str, SpaceStatus]:
        found = client._api.list_spaces(author=namespace, expand=STATUS_EXPAND)  # type: ignore[arg-type]
        return {info.id.lower(): _status(info) for info in found}

    return client.read(fetch, paginated=True)


def read_status(client: HubClient, space_id: str) -> SpaceStatus:
    info = client.read(lambda: client._api.space_info(space_id), space_id=space_id)
    return _status(info)


def _status(info: SpaceInfo) -> SpaceStatus:
    raw: dict[str, Any] = info.runtime.raw if info.runtime is not None else {}
    hot = raw.get("hotReloading") or {}
    replicas = tuple(
        (str(pair[0]), HotReloadStatus.parse(pair[1]))
        for pair in hot.get("replicaStatuses") or ()
        if isinstance(pair, (list, tuple)) and len(pair) == 2
    )
    return SpaceStatus(
        sha=info.sha,
        stage=Stage.parse(raw.get("stage")),
        runtime_sha=raw.get("sha") if isinstance(raw.get("sha"), str) else None,
        error=raw.get("errorMessage"),
        hot_reload=HotReloadStatus.parse(hot.get("status")) if hot else None,
        replicas=replicas,
        host=info.host,
        subdomain=info.subdomain,
    )


def _region(region: Any) -> str | None:
    if not isinstance(region, dict):
        return None
    # Lines as `hf spaces hot-reload` shows them (its render_region).
    start, end = region.get("startLine"), region.get("endLine")
    if not isinstance(start, int) or not isinstance(end, int):
        return None
    return f"line {start - 1}" if start == end else f"lines {start - 1}-{end}"


def reload_problems(client: HubClient, status: SpaceStatus, commit: str) -> list[ReloadProblem] | None:
    """The exception/error events of every replica's reload of `commit`; None when a replica's
    stream could not be read at all (then nothing is confirmed)."""
    if not status.host or not status.subdomain:
        return None
    token = client.token
    problems: list[ReloadProblem] = []
    for replica, _ in status.replicas:
        reloader = ReloadClient(host=status.host, subdomain=status.subdomain, replica_hash=replica, token=token)

        def events(reloader: ReloadClient = reloader) -> list[dict[str, Any]] | None:
            try:
                stream = reloader.get_reload(commit)
                # get_reload is a generator: a non-200 answer simply yields nothing (contract §10).
                return None if isinstance(stream, int) else [dict(event) for event in stream]
            finally:
                reloader.client.close()

        found = client.read(events, space_id=None)
        if not found:
            return None
        for event in found:
            data = event.get("data") if isinstance(event, dict) else None
            if isinstance(data, dict) and data.get("kind") in ("exception", "error"):
                trace, region = str(data.get("traceback") or ""), _region(data.get("region"))
                problems.append(ReloadProblem(replica, str(data["kind"]), trace, region))
    return problems
