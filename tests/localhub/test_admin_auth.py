"""The admin API mints tokens and turns off the Hub's checks, so it answers only to the holder of
the admin token (DIR/token), with a JSON content type, a loopback Host and no foreign Origin:
neither another local process nor a browser page (cross-site request, DNS rebinding) gets in."""

from __future__ import annotations

import stat
from pathlib import Path

import httpx2
import pytest

from reconciler.localhub import LocalHub
from reconciler.localhub.admin import admin_headers

from .hubtools import add_token

# Every admin route, and one that does not exist: the gate runs before any route is looked up.
ROUTES = [
    ("POST", "tokens", {"token": "hf_minted", "user": "mallory", "role": "write", "orgs": ["local-org"]}),
    ("POST", "faults", {"error_rate": 1}),
    ("POST", "clock", {"advance_s": 10}),
    ("POST", "stats/reset", {}),
    ("GET", "stats", None),
    ("GET", "events", None),
    ("GET", "repos/space/local-org/x", None),
    ("POST", "no-such-switch", {}),
]


def call(hub: LocalHub, method: str, path: str, body: object, headers: dict[str, str]) -> httpx2.Response:
    with httpx2.Client(timeout=10) as client:
        return client.request(method, f"{hub.endpoint}/_localhub/{path}", json=body, headers=headers)


@pytest.mark.parametrize(("method", "path", "body"), ROUTES, ids=[f"{m} {p}" for m, p, _ in ROUTES])
def test_every_admin_route_needs_the_admin_token(local_hub: LocalHub, method: str, path: str, body: object) -> None:
    minted = add_token(local_hub, "hf_other_writer", "local", "write", ["local-org"])
    for headers in ({"Content-Type": "application/json"}, admin_headers("hf_wrong"), admin_headers(minted)):
        response = call(local_hub, method, path, body, headers)
        assert response.status_code == 401, (headers, response.text)
        assert "admin token" in response.json()["error"]
    assert "hf_minted" not in local_hub.store.tokens  # nothing was minted
    assert local_hub.store.clock.offset == 0 and not local_hub.app.admin.faults.error_rate


def test_a_write_without_a_json_content_type_is_refused(local_hub: LocalHub) -> None:
    token = local_hub.token
    for content_type in ("text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", ""):
        headers = {"Authorization": f"Bearer {token}", "Content-Type": content_type}
        with httpx2.Client(timeout=10) as client:
            response = client.post(
                f"{local_hub.endpoint}/_localhub/clock", content=b'{"advance_s": 5}', headers=headers
            )
        assert response.status_code == 415, (content_type, response.text)
    assert local_hub.store.clock.offset == 0
    assert call(local_hub, "POST", "clock", {"advance_s": 5}, admin_headers(token)).status_code == 200


def test_a_foreign_host_or_origin_is_refused(local_hub: LocalHub) -> None:
    good = admin_headers(local_hub.token)
    port = local_hub.port
    # DNS rebinding: the page's own name resolves to 127.0.0.1, and the browser sends that name.
    for host in (f"evil.example:{port}", "evil.example", f"127.0.0.1.evil.example:{port}"):
        response = call(local_hub, "POST", "clock", {"advance_s": 5}, {**good, "Host": host})
        assert response.status_code == 403 and "loopback Host" in response.json()["error"]
    for origin in ("https://evil.example", "null", f"http://localhost:{port + 1}"):
        response = call(local_hub, "POST", "clock", {"advance_s": 5}, {**good, "Origin": origin})
        assert response.status_code == 403 and "cross-origin" in response.json()["error"]
    assert local_hub.store.clock.offset == 0
    same = {**good, "Origin": f"http://127.0.0.1:{port}"}
    assert call(local_hub, "POST", "clock", {"advance_s": 5}, same).status_code == 200
    assert call(local_hub, "GET", "stats", None, {**good, "Host": f"localhost:{port}"}).status_code == 200


def test_the_hub_api_itself_is_unchanged(local_hub: LocalHub) -> None:
    # Only /_localhub/ is gated: the Hub's own routes keep the Hub's rules (anonymous reads allowed).
    with httpx2.Client(timeout=10) as client:
        assert client.get(f"{local_hub.endpoint}/api/spaces/hardware").status_code == 200


def test_token_files_are_owner_only(tmp_path: Path) -> None:
    hub = LocalHub(tmp_path / "state")
    hub.store.add_token("hf_second", "local", "read", [])
    for name in ("token", "tokens.json"):
        mode = stat.S_IMODE((tmp_path / "state" / name).stat().st_mode)
        assert mode == 0o600, f"{name}: {oct(mode)}"
