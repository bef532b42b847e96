"""huggingface_hub private API we depend on: fail loudly when the client changes it."""

from __future__ import annotations

import inspect

from huggingface_hub import HfApi


def test_create_commit_still_takes_the_private_hot_reload_flag() -> None:
    parameters = inspect.signature(HfApi.create_commit).parameters
    assert "_hot_reload" in parameters, (
        "huggingface_hub.HfApi.create_commit no longer accepts _hot_reload: the hot-reload rung "
        "(reconciler/hub/writes.py SpaceWriter.commit) must be adapted to the client's new API"
    )
    assert parameters["_hot_reload"].kind is inspect.Parameter.KEYWORD_ONLY
    assert "parent_commit" in parameters


def test_the_http_hooks_and_client_factory_we_install_still_exist() -> None:
    # reconciler/hub/client.py installs its pacing and counting through these.
    from huggingface_hub.utils import _http

    assert callable(_http.hf_request_event_hook), "utils._http.hf_request_event_hook is gone (hub/client.py)"
    factory = inspect.signature(_http.set_client_factory).parameters
    assert list(factory) == ["client_factory"], "utils._http.set_client_factory changed its signature (hub/client.py)"
    assert callable(_http.default_client_factory), "utils._http.default_client_factory is gone (hub/client.py)"


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
    assert list(inspect.signature(ReloadClient.get_reload).parameters) == ["self", "reload_id"]
    assert inspect.isgeneratorfunction(ReloadClient.get_reload), "get_reload is no longer a generator"


def test_no_module_outside_the_hub_adapter_reaches_the_client() -> None:
    # Only reconciler/hub/ may use HubClient.api (huggingface_hub's HfApi).
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[2] / "reconciler"
    offenders = [
        str(path.relative_to(root))
        for path in root.rglob("*.py")
        if "hub" not in path.relative_to(root).parts[:1] and re.search(r"\bclient\.api\b", path.read_text())
    ]
    assert offenders == []
