"""Space runtime and settings: hardware, sleep, pause/restart, dev mode, secrets, variables, volumes, logs."""

from __future__ import annotations

import json
import re
from typing import Any

from starlette.responses import Response

from reconciler.localhub import hardware, lifecycle, runtime, space_rules
from reconciler.localhub.clock import iso
from reconciler.localhub.errors import HubError, bad_request
from reconciler.localhub.state import Repo
from reconciler.localhub.web import Ctx, field, json_response

Params = dict[str, str]
VOLUME_TYPES = ("bucket", "model", "dataset", "space")
_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,255}$")


# ---------------------------------------------------------------------- validation shared with create/duplicate


def parse_flavor(value: Any) -> str:
    if value not in hardware.FLAVORS:
        raise bad_request(f"Invalid hardware flavor {value!r}; one of: {', '.join(hardware.FLAVORS)}")
    return str(value)


def parse_sleep(value: Any) -> int | None:
    if not isinstance(value, int) or isinstance(value, bool) or value < -1:
        raise bad_request("Sleep time must be an integer number of seconds (-1 = never sleep)")
    return None if value == -1 else value


def parse_key_value(item: Any, secret: bool) -> tuple[str, str, str | None]:
    if not isinstance(item, dict):
        raise bad_request("Each secret or variable must be an object with key and value")
    key = field(item, "key", str)
    if not _KEY.match(key):
        raise bad_request(f"Invalid key {key!r}: use letters, digits and '_', not starting with a digit")
    value = field(item, "value", str, required=secret)
    description = field(item, "description", str, required=False)
    return key, value or "", description


def parse_volumes(items: Any) -> list[dict[str, Any]]:
    if not isinstance(items, list):
        raise bad_request('"volumes" must be a list')
    volumes: list[dict[str, Any]] = []
    for item in items:
        if not isinstance(item, dict):
            raise bad_request("Each volume must be an object")
        kind = item.get("type", "model")
        if kind not in VOLUME_TYPES:
            raise bad_request(f"Invalid volume type {kind!r}; one of: {', '.join(VOLUME_TYPES)}")
        source = field(item, "source", str)
        mount = item.get("mountPath", item.get("mount_path"))
        if not isinstance(mount, str) or not mount.startswith("/") or ".." in mount.split("/"):
            raise bad_request(f"Invalid mountPath {mount!r}: must be an absolute path")
        if source.count("/") != 1 or not all(source.split("/")):
            raise bad_request(f"Invalid volume source {source!r}: expected 'namespace/name'")
        volume: dict[str, Any] = {"type": kind, "source": source, "mountPath": mount}
        for key, kinds in (("revision", str), ("readOnly", bool), ("path", str)):
            value = field(item, key, kinds, required=False)
            if value is not None:
                volume[key] = value
        volumes.append(volume)
    mounts = [v["mountPath"] for v in volumes]
    if len(set(mounts)) != len(mounts):
        raise bad_request("Two volumes cannot share a mountPath")
    return volumes


def mounted(ctx: Ctx, volumes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Volumes as the Hub keeps them: a repository mount is read-only whatever was asked
    (huggingface_hub 2.4 `Volume.read_only`: "Forced `True` for repos", _space_api.py)."""
    if not ctx.core.fidelity.repo_mounts_read_only:
        return volumes
    return [v if v["type"] == "bucket" else {**v, "readOnly": True} for v in volumes]


def set_secret(ctx: Ctx, repo: Repo, item: Any) -> None:
    key, value, description = parse_key_value(item, secret=True)
    # Only a keyed digest is kept (Store.secret_digest): no value, nor anything it can be guessed from.
    digest = ctx.store.secret_digest(value)
    # Dates come from the Hub's clock (the store's: the one its Date header and commit dates
    # use), which a client's own clock may disagree with (hub-contract §13 has no bound on it).
    repo.secrets[key] = {"hmac": digest, "description": description, "updatedAt": iso(ctx.store.clock.now())}
    if ctx.core.apps is not None:
        ctx.core.apps.remember_secret(repo.id, key, value)  # in memory, for the app's environment


def set_variable(ctx: Ctx, repo: Repo, item: Any) -> None:
    key, value, description = parse_key_value(item, secret=False)
    repo.variables[key] = {"value": value, "description": description, "updatedAt": iso(ctx.store.clock.now())}


def variables_json(repo: Repo) -> dict[str, Any]:
    return {
        key: {k: v for k, v in entry.items() if k != "description" or v is not None}
        for key, entry in repo.variables.items()
    }


# ---------------------------------------------------------------------- handlers


def _space(ctx: Ctx, p: Params, write: bool = False) -> Repo:
    repo_id = f"{p['ns']}/{p['name']}"
    return ctx.writable("space", repo_id) if write else ctx.readable("space", repo_id)


def _runtime(ctx: Ctx, repo: Repo) -> Response:
    return json_response(lifecycle.runtime_json(ctx.core, repo))


def _changed(ctx: Ctx, repo: Repo, detail: str, restart: bool) -> None:
    ctx.store.event(repo.id, "settings", detail)
    if restart:
        lifecycle.start(ctx.core, repo, "restart", detail, lagged=True)
    ctx.store.save(repo)


def hardware_list(ctx: Ctx, p: Params) -> Response:
    return json_response(hardware.hardware_list())


def get_runtime(ctx: Ctx, p: Params) -> Response:
    return _runtime(ctx, _space(ctx, p))


def request_hardware(ctx: Ctx, p: Params) -> Response:
    repo = _space(ctx, p, write=True)
    body = ctx.json()
    flavor = parse_flavor(body.get("flavor"))
    space_rules.refuse_static(ctx, lifecycle.is_static(repo), "hardware")
    space_rules.refuse_hardware(ctx, repo.namespace, flavor)
    if "sleepTimeSeconds" in body and body["sleepTimeSeconds"] is not None:
        repo.sleep = parse_sleep(body["sleepTimeSeconds"])
    elif repo.sleep == hardware.default_sleep(repo.hardware):
        repo.sleep = hardware.default_sleep(flavor)
    changed = flavor != repo.hardware
    repo.hardware = flavor
    _changed(ctx, repo, f"hardware {flavor}", restart=changed)
    return _runtime(ctx, repo)


def sleep_time(ctx: Ctx, p: Params) -> Response:
    repo = _space(ctx, p, write=True)
    repo.sleep = parse_sleep(ctx.json().get("seconds"))
    _changed(ctx, repo, f"sleep time {repo.sleep}", restart=False)
    return _runtime(ctx, repo)


def pause(ctx: Ctx, p: Params) -> Response:
    repo = _space(ctx, p, write=True)
    space_rules.refuse_static(ctx, lifecycle.is_static(repo), "pause")
    repo.run["paused"] = True
    _changed(ctx, repo, "paused", restart=False)
    return _runtime(ctx, repo)


def restart(ctx: Ctx, p: Params) -> Response:
    repo = _space(ctx, p, write=True)
    if lifecycle.is_static(repo):
        # As the Hub (and restart_space's docs): a static Space is always running and cannot be restarted.
        raise bad_request(f"{repo.id} is a static Space: it is always running and cannot be restarted")
    if ctx.flag("factory"):
        lifecycle.start(ctx.core, repo, "factory_reboot", "factory reboot", keep_paused=False)
    else:
        lifecycle.start(ctx.core, repo, "restart", "restart requested", keep_paused=False)
    ctx.store.save(repo)
    return _runtime(ctx, repo)


def dev_mode(ctx: Ctx, p: Params) -> Response:
    repo = _space(ctx, p, write=True)
    enabled = field(ctx.json(), "enabled", bool)
    space_rules.refuse_static(ctx, lifecycle.is_static(repo), "dev mode")
    if enabled:
        space_rules.refuse_dev_mode(ctx, repo.namespace)
    repo.dev_mode = enabled
    _changed(ctx, repo, f"dev mode {'on' if repo.dev_mode else 'off'}", restart=False)
    return _runtime(ctx, repo)


def get_secrets(ctx: Ctx, p: Params) -> Response:
    repo = ctx.member("space", f"{p['ns']}/{p['name']}")
    if not ctx.core.fidelity.secret_metadata_on_read:
        # hub-contract §13: no recording shows a read; this position returns keys only.
        return json_response({key: {} for key in repo.secrets})
    return json_response(
        {key: {"description": s["description"], "updatedAt": s["updatedAt"]} for key, s in repo.secrets.items()}
    )


def add_secret(ctx: Ctx, p: Params) -> Response:
    repo = _space(ctx, p, write=True)
    item = ctx.json()
    set_secret(ctx, repo, item)
    _changed(ctx, repo, f"secret {item['key']} set", restart=True)
    return json_response({})


def delete_secret(ctx: Ctx, p: Params) -> Response:
    repo = _space(ctx, p, write=True)
    key = field(ctx.json(), "key", str)
    if repo.secrets.pop(key, None) is not None:
        if ctx.core.apps is not None:
            ctx.core.apps.forget_secret(repo.id, key)
        _changed(ctx, repo, f"secret {key} deleted", restart=True)
    return json_response({})


def get_variables(ctx: Ctx, p: Params) -> Response:
    return json_response(variables_json(ctx.member("space", f"{p['ns']}/{p['name']}")))


def add_variable(ctx: Ctx, p: Params) -> Response:
    repo = _space(ctx, p, write=True)
    item = ctx.json()
    set_variable(ctx, repo, item)
    _changed(ctx, repo, f"variable {item['key']} set", restart=True)
    return json_response(variables_json(repo))


def delete_variable(ctx: Ctx, p: Params) -> Response:
    repo = _space(ctx, p, write=True)
    key = field(ctx.json(), "key", str)
    if repo.variables.pop(key, None) is not None:
        _changed(ctx, repo, f"variable {key} deleted", restart=True)
    return json_response(variables_json(repo))


def set_volumes(ctx: Ctx, p: Params) -> Response:
    repo = _space(ctx, p, write=True)
    volumes = mounted(ctx, parse_volumes(ctx.json().get("volumes")))
    space_rules.refuse_static(ctx, lifecycle.is_static(repo) and bool(volumes), "volumes")
    repo.volumes = volumes
    _changed(ctx, repo, f"volumes set ({len(repo.volumes)})", restart=True)
    return _runtime(ctx, repo)


def delete_volumes(ctx: Ctx, p: Params) -> Response:
    repo = _space(ctx, p, write=True)
    had = bool(repo.volumes)
    repo.volumes = None
    _changed(ctx, repo, "volumes deleted", restart=had)
    return _runtime(ctx, repo)


def _sse(lines: list[tuple[float, str]], now: float) -> Response:
    # The client stops a replay at the first event later than the Date header plus 1 s; the
    # header is stamped from the same clock after the body is made (server.py), so no event
    # is later than `now`.
    events = [f"data: {json.dumps({'data': text, 'timestamp': iso(min(ts, now))})}\n\n" for ts, text in lines]
    return Response("".join(events), media_type="text/event-stream")


def logs(ctx: Ctx, p: Params) -> Response:
    repo = _space(ctx, p)
    now = ctx.store.clock.now()
    if p["kind"] == "build":
        return _sse(runtime.build_log(repo.run, ctx.core.durations, now), now)
    if p["kind"] == "run":
        if ctx.core.apps is not None and (lines := _app_log(ctx, repo)) is not None:
            return _sse(lines, now)
        return _sse(runtime.run_log(repo.run, lifecycle.is_static(repo), ctx.core.durations, now), now)
    raise HubError(404, f"Unknown log kind {p['kind']!r}; use build or run")


def _app_log(ctx: Ctx, repo: Repo) -> list[tuple[float, str]] | None:
    """The real app's output under the boot banner the Hub writes (runtime.run_log's first line)."""
    assert ctx.core.apps is not None
    lifecycle.current(ctx.core, repo)  # launches or stops the app as the stage says
    lines = ctx.core.apps.run_log(repo.id)
    if lines is None:
        return None
    boot = ctx.core.apps.started(repo.id)
    return [(boot, f"===== Application Startup at {iso(boot)} =====\n"), *lines]


def replica_reload(ctx: Ctx, p: Params) -> Response:
    """The reload events a hot-reloaded replica streams to `hf spaces hot-reload`."""
    reload_id = ctx.json().get("reloadId")
    for repo in ctx.store.list_repos("space"):
        hot = repo.run.get("hotReload")
        if hot and hot["status"] == "created" and hot["reloadId"] == reload_id:
            ops: list[dict[str, Any]] = [{"kind": "file", "created": f["created"]} for f in hot["files"]]
            for crash in hot.get("exceptions") or ():
                # The shape of huggingface_hub 2.4's ReloadOperationException.
                line = crash["line"] + 1  # the CLI shows startLine - 1
                region = {"startLine": line, "startCol": 0, "endLine": line, "endCol": 1}
                trace = (
                    f'Traceback (most recent call last):\n  File "{crash["path"]}", line {crash["line"]}\n'
                    f"RuntimeError: {runtime.RUNTIME_ERROR_MARKER}\n"
                )
                ops.append({"kind": "exception", "region": region, "traceback": trace})
            ops.append({"kind": "ui", "updated": not hot.get("exceptions")})
            body = "".join(f"data: {json.dumps({'data': op})}\n\n" for op in ops)
            return Response(body, media_type="text/event-stream")
    raise HubError(404, f"Unknown reloadId {reload_id!r} on replica {p['replica']}")
