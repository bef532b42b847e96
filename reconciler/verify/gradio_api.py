"""The one module that imports gradio_client: a Space's API as the people who call it see it.

`connect` takes the Space's host URL, which the Hub adapter reads from `space_info(...).host`:
that is exactly how gradio_client resolves a Space id itself (client.py
`Client._space_name_to_src` returns `huggingface_hub.space_info(space, token=...).host`), but
through our own Hub client, so the endpoint (HF_ENDPOINT or the local Hub) and the token are
the ones of this run instead of the module-level defaults gradio_client would read. The token
still travels as gradio_client sends it (`x-hf-authorization`, built in `Client.__init__`).
"""

from __future__ import annotations

import concurrent.futures
import os
from collections.abc import Callable, Mapping
from typing import Any

from gradio_client import Client

from reconciler.verify.api import ApiUnreachable, CallFailed, CallTimedOut


class GradioApi:
    def __init__(self, host: str, token: str | None, download_dir: str) -> None:
        # gradio_client 2.x starts a telemetry thread unless GRADIO_ANALYTICS_ENABLED is not
        # "True" (`analytics_enabled or os.getenv(...) == "True"` in Client.__init__: the
        # keyword alone cannot turn it off). A verification run reports nothing anywhere.
        os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"
        try:
            self._client = Client(
                host, token=token, verbose=False, download_files=download_dir, analytics_enabled=False
            )
        except Exception as problem:  # any failure to read the app's config is one outcome
            raise ApiUnreachable(_text(problem)) from None

    def endpoints(self) -> tuple[str, ...]:
        """The named endpoints (api_name), as `view_api(return_format="dict")` lists them."""
        try:
            info = self._client.view_api(print_info=False, return_format="dict")
        except Exception as problem:
            raise ApiUnreachable(_text(problem)) from None
        named = info.get("named_endpoints", {}) if isinstance(info, Mapping) else {}
        return tuple(sorted(str(name) for name in named))

    def call(self, api: str, args: Mapping[str, Any] | tuple[Any, ...], timeout_s: float) -> Any:
        if isinstance(args, Mapping):
            job = self._client.submit(api_name=api, **dict(args))
        else:
            job = self._client.submit(*args, api_name=api)
        try:
            return job.result(timeout=timeout_s)
        except concurrent.futures.TimeoutError:
            job.cancel()
            raise CallTimedOut() from None
        except Exception as problem:
            raise CallFailed(_text(problem)) from None

    def close(self) -> None:
        self._client.close()


def _text(problem: BaseException) -> str:
    message = str(problem).strip()
    return f"{type(problem).__name__}: {message}" if message else type(problem).__name__


def connect(token: str | None) -> Callable[[str, str], GradioApi]:
    """A `Connect` for this token (see reconciler.verify.api)."""

    def open_api(host: str, download_dir: str) -> GradioApi:
        return GradioApi(host, token, download_dir)

    return open_api
