"""The port verification calls a Space's API through, and the three ways a call goes wrong.

`gradio_api` implements it with gradio_client; unit tests implement it with plain objects.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Protocol


class ApiUnreachable(Exception):
    """The app's API could not be read (config or API info failed, or the app is not Gradio)."""


class CallFailed(Exception):
    """The endpoint answered with an error; the message is the app's."""


class CallTimedOut(Exception):
    pass


class Api(Protocol):
    def endpoints(self) -> tuple[str, ...]: ...
    def call(self, api: str, args: Mapping[str, Any] | tuple[Any, ...], timeout_s: float) -> Any: ...
    def close(self) -> None: ...


Connect = Callable[[str, str], Api]  # (host URL, download folder) -> Api; raises ApiUnreachable
