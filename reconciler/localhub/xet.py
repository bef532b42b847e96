"""Xet in the local Hub: the token routes of the Hub API and the route table of the CAS.

The Hub hands out short-lived CAS tokens: `GET /api/{type}s/{id}/xet-write-token/{rev}` and
`xet-read-token/{rev}`. huggingface_hub 2.4 (utils/_xet.py) reads the headers `X-Xet-Cas-Url`,
`X-Xet-Access-Token` and `X-Xet-Token-Expiration`; hf_xet, which calls the same URL to refresh,
reads the JSON body `{"accessToken", "exp", "casUrl"}` (xet-core hub_client/types.rs `CasJWTInfo`),
so both are sent. The CAS URL is this server under `/cas` (hf_xet speaks plain HTTP to it).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from starlette.responses import Response

from reconciler.localhub import xet_cas as cas
from reconciler.localhub import xet_download as download
from reconciler.localhub.errors import HubError, bad_request
from reconciler.localhub.routes_git import resolve_revision
from reconciler.localhub.web import PLURAL, Ctx, json_response

Params = dict[str, str]
Handler = Callable[[Ctx, Params], Response]
log = logging.getLogger("reconciler.localhub")


def write_token(ctx: Ctx, p: Params) -> Response:
    repo_type, repo_id = PLURAL[p["rtype"]], f"{p['ns']}/{p['name']}"
    repo = ctx.writable(repo_type, repo_id)
    if ctx.flag("create_pr"):
        # The client asks with ?create_pr=1 when the commit opens a pull request.
        raise bad_request(f"Pull requests are not supported by the local Hub; {cas.FALLBACK} or commit to main")
    if p["rev"] not in ("main", "refs/heads/main"):
        raise HubError(404, f"Invalid rev id: {p['rev']} (the local Hub only writes to main)", "RevisionNotFound")
    return _token(ctx, ctx.user().user, f"{repo_type}/{repo.id}", write=True)


def read_token(ctx: Ctx, p: Params) -> Response:
    repo_type, repo_id = PLURAL[p["rtype"]], f"{p['ns']}/{p['name']}"
    repo = ctx.readable(repo_type, repo_id, files=True)
    resolve_revision(repo, p["rev"])
    user = ctx.token.user if ctx.token else "anonymous"
    return _token(ctx, user, f"{repo_type}/{repo.id}", write=False)


def _token(ctx: Ctx, user: str, repo: str, write: bool) -> Response:
    token, expires = cas.issue_token(ctx.store, user, repo, write)
    cas_url = ctx.url(cas.CAS_PREFIX)
    headers = {"X-Xet-Cas-Url": cas_url, "X-Xet-Access-Token": token, "X-Xet-Token-Expiration": str(expires)}
    return json_response({"casUrl": cas_url, "exp": expires, "accessToken": token}, headers=headers)


def _logged(handler: Handler) -> Handler:
    """hf_xet reports a refused CAS call by status and URL only, never the body: the server's log says why."""

    def run(ctx: Ctx, p: Params) -> Response:
        try:
            return handler(ctx, p)
        except HubError as error:
            # 401 (refresh the token) and the 404s of dedup queries and upload grants are routine.
            if error.status not in (401, 404):
                log.warning("Xet CAS refused %s %s (%d): %s", ctx.method, ctx.raw_path, error.status, error.message)
            raise

    run.__name__ = handler.__name__
    return run


R = "{rtype}/{ns}/{name}"
_ROUTES: list[tuple[str, str, Handler]] = [
    ("GET", f"api/{R}/xet-write-token/{{rev}}", write_token),
    ("GET", f"api/{R}/xet-read-token/{{rev}}", read_token),
    ("GET", "cas/v1/chunks/{prefix}/{hash}", cas.query_chunk),
    ("POST", "cas/v1/xorb-grants/{prefix}/{hash}", cas.no_upload_grants),
    ("POST", "cas/v1/xorbs/{prefix}/{hash}", cas.upload_xorb),
    ("POST", "cas/v1/shards", cas.upload_shard),
    ("POST", "cas/v2/shards", cas.upload_shard_v2),
    ("GET", "cas/v1/reconstructions/{file_id}", download.reconstruction),
    ("GET", "cas/v2/reconstructions/{file_id}", download.reconstruction_v2),
    ("GET", "cas/fetch/{hash}", download.fetch),
    ("GET HEAD POST PUT DELETE", "cas/{rest*}", cas.not_served),
]
ROUTES = [(methods, pattern, _logged(h) if pattern.startswith("cas/") else h) for methods, pattern, h in _ROUTES]
# CAS calls carry a Xet access token (or a signed URL), not a Hub token: the CAS checks them itself.
CAS_TEMPLATES = {"/" + pattern.replace("*}", "}") for _, pattern, _ in ROUTES if pattern.startswith("cas/")}
