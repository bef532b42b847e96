"""The /--apps/<subdomain>/ route of the local Hub: running apps on the Hub's own origin.

`space_info(...).host` of a running gradio Space is `<local Hub>/--apps/<subdomain>`, so:
- gradio_client reaches the app unmodified (it resolves a Space id through
  `space_info(...).host`, gradio_client client.py `_space_name_to_src`); requests are
  forwarded to the app's loopback port, responses streamed back (Gradio's queue answers
  with server-sent events);
- the hot-reload replica route still reaches the local Hub: huggingface_hub's
  `ReloadClient` builds `host.replace(subdomain, f"{subdomain}--7887")` + `/--replicas/...`
  (huggingface_hub _hot_reload/client.py), i.e. `/--apps/<subdomain>--7887/--replicas/...`,
  which is served by the Hub's own replica handler (routes_spaces.replica_reload).
A private Space's app answers only a token of a member, as *.hf.space does; gradio_client
sends the token as `x-hf-authorization` (gradio_client client.py `Client.__init__`).
"""

from __future__ import annotations

import json
from collections.abc import MutableMapping
from typing import Any

import httpx2

from reconciler.localhub.apprunner import APPS_PREFIX
from reconciler.localhub.web import Core

HOT_RELOAD_SUFFIX = "--7887"  # huggingface_hub _hot_reload/client.py HOT_RELOADING_PORT
HOP_BY_HOP = {b"connection", b"keep-alive", b"transfer-encoding", b"te", b"upgrade", b"host"}
Scope = MutableMapping[str, Any]


def replica_route(scope: Scope) -> bool:
    """Rewrite /--apps/<sub>--7887/--replicas/... onto the Hub's replica route; True if it was one."""
    parts = scope["path"][len(APPS_PREFIX) :].split("/", 1)
    # The host ends in '/', so the client's `f"{base_host}/--replicas/..."` has two slashes.
    rest = parts[1].lstrip("/") if len(parts) == 2 else ""
    if parts[0].endswith(HOT_RELOAD_SUFFIX) and rest.startswith("--replicas/"):
        scope["path"] = "/" + rest
        scope["raw_path"] = scope["path"].encode()
        return True
    return False


async def _answer(send: Any, status: int, message: str) -> None:
    body = json.dumps({"error": message}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def _token(scope: Scope) -> str | None:
    for key, value in scope.get("headers", []):
        if key in (b"authorization", b"x-hf-authorization"):
            scheme, _, token = str(value.decode("latin-1")).partition(" ")
            if scheme.lower() == "bearer" and token.strip():
                return token.strip()
    return None


async def forward(core: Core, scope: Scope, receive: Any, send: Any) -> None:
    assert core.apps is not None
    subdomain, _, rest = scope["path"][len(APPS_PREFIX) :].partition("/")
    with core.store.lock:
        repo_id = core.apps.by_subdomain.get(subdomain)
        repo = core.store.get("space", repo_id) if repo_id else None
        if repo is not None and repo.private:
            info = core.store.tokens.get(_token(scope) or "")
            if info is None or not info.member_of(repo.namespace):
                repo = None
        app = core.apps.wake(repo.id) if repo is not None else None
    if app is None:
        await _answer(send, 404, f"No running app at {subdomain!r}")
        return
    body = b""
    more = True
    while more:
        message = await receive()
        body += message.get("body", b"")
        more = message.get("more_body", False)
    query = scope.get("query_string", b"").decode("latin-1")
    url = f"http://127.0.0.1:{app.port}/{rest}" + (f"?{query}" if query else "")
    headers = [(k, v) for k, v in scope.get("headers", []) if k.lower() not in HOP_BY_HOP]
    async with httpx2.AsyncClient(timeout=httpx2.Timeout(None, connect=30.0)) as client:
        try:
            request = client.build_request(scope["method"], url, headers=headers, content=body)
            response = await client.send(request, stream=True)
        except httpx2.TransportError:
            await _answer(send, 502, f"The app of {repo_id} is not answering")
            return
        try:
            out = [(k, v) for k, v in response.headers.raw if k.lower() not in HOP_BY_HOP]
            await send({"type": "http.response.start", "status": response.status_code, "headers": out})
            async for chunk in response.aiter_raw():
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
            await send({"type": "http.response.body", "body": b"", "more_body": False})
        finally:
            await response.aclose()
