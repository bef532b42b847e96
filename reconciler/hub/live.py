"""Reads that verification makes of a live Space: its stage and host, and its run log."""

from __future__ import annotations

from dataclasses import dataclass

from reconciler.hub.client import HubClient


@dataclass(frozen=True)
class LiveSpace:
    stage: str | None
    host: str | None  # where the app answers (`space_info.host`), None when the Hub names none


class LiveReader:
    """The Hub side of `reconcile verify`, for one client."""

    def __init__(self, client: HubClient) -> None:
        self.client = client

    def space(self, space_id: str) -> LiveSpace:
        # No `expand`: `host` is not an expand value (hub-contract §3), only the full info has it.
        info = self.client.read(lambda: self.client._api.space_info(space_id), space_id=space_id)
        stage = info.runtime.stage if info.runtime is not None else None
        return LiveSpace(stage=str(stage) if stage is not None else None, host=getattr(info, "host", None))

    def run_log(self, space_id: str) -> list[str]:
        def fetch() -> list[str]:
            return list(self.client._api.fetch_space_logs(space_id, build=False, follow=False))

        return self.client.read(fetch, space_id=space_id)

    @property
    def token(self) -> str | None:
        """The token gradio_client sends to the app (private Spaces need it). Never shown."""
        return self.client.token
