"""huggingface_hub private API we depend on: fail loudly when the client changes it."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

import httpx2
from huggingface_hub import HfApi

from reconciler.hub.client import HubClient


def test_create_commit_still_takes_the_private_hot_reload_flag() -> None:
    parameters = inspect.signature(HfApi.create_commit).parameters
    assert "_hot_reload" in parameters, (
        "huggingface_hub.HfApi.create_commit no longer accepts _hot_reload: the hot-reload rung "
        "(reconciler/hub/writes.py SpaceWriter.commit) must be adapted to the client's new API"
    )
    assert parameters["_hot_reload"].kind is inspect.Parameter.KEYWORD_ONLY
    assert "parent_commit" in parameters


def test_the_http_hooks_and_client_factory_we_install_still_exist() -> None:
    # reconciler/hub/client.py installs its pacing and counting through these, and quiets this logger.
    from huggingface_hub.utils import _http

    hook = inspect.signature(_http.hf_request_event_hook).parameters
    assert list(hook) == ["request"], "utils._http.hf_request_event_hook changed or is gone (hub/client.py)"
    factory = inspect.signature(_http.set_client_factory).parameters
    assert list(factory) == ["client_factory"], "utils._http.set_client_factory changed its signature (hub/client.py)"
    assert callable(_http.default_client_factory), "utils._http.default_client_factory is gone (hub/client.py)"
    assert _http.logger.name == "huggingface_hub.utils._http", "the retry warnings' logger moved (hub/client.py)"


def test_the_client_still_sends_every_request_through_one_shared_session() -> None:
    # hub/client.py hands each request of that one session to the HubClient that made it; if the
    # client grows per-instance sessions, the factory is no longer how our hooks get installed.
    from huggingface_hub.utils import _http

    def factory() -> httpx2.Client:
        return httpx2.Client()

    try:
        _http.set_client_factory(factory)
        first = _http.get_session()
        assert first is _http.get_session(), "get_session no longer returns one shared client"
        _http.set_client_factory(_http.default_client_factory)
        assert first.is_closed, "set_client_factory no longer closes the shared session"
    finally:
        _http.set_client_factory(_http.default_client_factory)


def test_the_volume_type_we_build_mounts_with_still_takes_our_fields() -> None:
    # reconciler/hub/writes.py builds mounts as _space_api.Volume (the client's set_space_volumes type).
    import dataclasses

    from huggingface_hub._space_api import Volume

    fields = {f.name for f in dataclasses.fields(Volume)}
    assert {"type", "source", "mount_path", "revision", "read_only", "path"} <= fields, fields


def test_the_hot_reload_client_still_reads_a_replicas_reload_events() -> None:
    # reconciler/hub/status.py reads reload events as `hf spaces hot-reload` does (contract §10).
    from huggingface_hub._hot_reload.client import ReloadClient

    init = inspect.signature(ReloadClient).parameters
    assert {"host", "subdomain", "replica_hash", "token"} <= set(init), init
    # status.py closes each reloader's own httpx client when its stream is read.
    reloader = ReloadClient(host="http://demo.hf.space", subdomain="demo", replica_hash="r1", token=None)
    assert isinstance(reloader.client, httpx2.Client), "ReloadClient.client is gone (hub/status.py closes it)"
    reloader.client.close()
    assert list(inspect.signature(ReloadClient.get_reload).parameters) == ["self", "reload_id"]
    assert inspect.isgeneratorfunction(ReloadClient.get_reload), "get_reload is no longer a generator"


ROOT = Path(__file__).resolve().parents[2] / "reconciler"


def _reaches_the_client(source: str) -> list[str]:
    """Where a module touches huggingface_hub's HfApi: the adapter's private `_api` attributes
    (HubClient, SpaceWriter), getattr or vars reaching for them, or an import of huggingface_hub.
    A public HfApi attribute is caught below at run time, and `.api` on a HubClient by mypy."""
    found: list[str] = []
    for node in ast.walk(ast.parse(source)):
        # A class's own `self._api` is its own (verify's gradio API); another object's is the adapter's.
        own = isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "self"
        if isinstance(node, ast.Attribute) and node.attr == "_api" and not own:
            found.append(f"line {node.lineno}: .{node.attr}")
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in {"getattr", "vars"}:
            names = [a.value for a in node.args if isinstance(a, ast.Constant)]
            if {"api", "_api"} & set(names) or node.func.id == "vars":
                found.append(f"line {node.lineno}: {node.func.id}")
        elif isinstance(node, ast.Import | ast.ImportFrom):
            module = node.module if isinstance(node, ast.ImportFrom) else None
            names = [alias.name for alias in node.names]
            if any(n.split(".")[0] == "huggingface_hub" for n in [module or "", *names]):
                found.append(f"line {node.lineno}: imports huggingface_hub")
    return found


def test_the_boundary_check_sees_every_way_in() -> None:
    # The check below must be able to fail: each of these reaches HfApi from outside the adapter.
    for source in (
        "client._api.space_info('a/b')",
        "self.writer._api.create_commit()",
        "getattr(c, '_api')",
        "vars(c)['_api']",
        "from huggingface_hub import HfApi",
        "import huggingface_hub.utils",
    ):
        assert _reaches_the_client(source), source
    assert _reaches_the_client("call.apis\nclient.read(fn)\nfrom reconciler.verify import api") == []


def test_no_module_outside_the_hub_adapter_reaches_the_client() -> None:
    # Only reconciler/hub/ talks to huggingface_hub; the local Hub is a server and never imports it.
    offenders = {
        str(path.relative_to(ROOT)): found
        for path in ROOT.rglob("*.py")
        if path.relative_to(ROOT).parts[0] != "hub" and (found := _reaches_the_client(path.read_text("utf-8")))
    }
    assert offenders == {}


def test_a_hub_client_has_no_public_way_to_its_hfapi() -> None:
    with HubClient("http://127.0.0.1:1", "t") as client:
        public = {name for name in dir(client) if not name.startswith("_")}
        assert not any(isinstance(getattr(type(client), n, None) or getattr(client, n), HfApi) for n in public)
