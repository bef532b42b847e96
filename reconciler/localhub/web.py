"""What every handler works with: the request context, access checks, JSON and pagination."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from typing import Any
from urllib.parse import urlencode

from starlette.datastructures import Headers
from starlette.responses import JSONResponse, Response

from reconciler.localhub.accounts import Accounts
from reconciler.localhub.apprunner import AppRunner
from reconciler.localhub.errors import HubError, bad_request, repo_not_found
from reconciler.localhub.fidelity import Fidelity
from reconciler.localhub.runtime import Durations
from reconciler.localhub.state import REPO_TYPES, Repo, Store, TokenInfo

PLURAL = {f"{kind}s": kind for kind in REPO_TYPES}


@dataclass
class Core:
    store: Store
    durations: Durations
    fidelity: Fidelity = dataclass_field(default_factory=Fidelity)
    apps: AppRunner | None = None  # gradio apps run for real (--run-apps)

    def __post_init__(self) -> None:
        self.accounts = Accounts(self.store.root)


@dataclass
class Ctx:
    core: Core
    method: str
    raw_path: str
    segments: list[str]
    query: list[tuple[str, str]]
    headers: Headers
    body: bytes
    base_url: str  # scheme://host:port the client used; absolute URLs we hand out start with it
    token: TokenInfo | None

    @property
    def store(self) -> Store:
        return self.core.store

    def param(self, name: str) -> str | None:
        return next((value for key, value in self.query if key == name), None)

    def params(self, name: str) -> list[str]:
        return [value for key, value in self.query if key in (name, f"{name}[]")]

    def flag(self, name: str) -> bool:
        return (self.param(name) or "").lower() in ("1", "true")

    def json(self) -> dict[str, Any]:
        if not self.body.strip():
            return {}
        try:
            data = json.loads(self.body)
        except (UnicodeDecodeError, json.JSONDecodeError) as problem:
            raise bad_request(f"Invalid JSON body: {problem}") from None
        if not isinstance(data, dict):
            raise bad_request("The JSON body must be an object")
        return data

    def user(self) -> TokenInfo:
        if self.token is None:
            raise HubError(
                401, "You must be authenticated to access this endpoint: pass a token (Authorization: Bearer)"
            )
        return self.token

    def readable(self, repo_type: str, repo_id: str, files: bool = False) -> Repo:
        """The repo if this token may read it (its `files` too); otherwise it does not exist for it."""
        repo = self.store.get(repo_type, repo_id, fold_case=self.fold_case)
        hidden = repo is not None and (repo.private or (files and repo.visibility == "protected"))
        if self.token is None:
            # As on the Hub, anyone may read a public repo; the rest does not exist for them.
            if repo is None or hidden:
                raise repo_not_found(repo_id, status=401)
            return repo
        if repo is None or (hidden and not self.token.member_of(repo.namespace)):
            raise repo_not_found(repo_id)
        return repo

    def member(self, repo_type: str, repo_id: str) -> Repo:
        """The repo if this token belongs to its namespace, whatever its role."""
        repo = self.readable(repo_type, repo_id, files=True)
        if not self.user().member_of(repo.namespace):
            raise HubError(403, f"Only members of '{repo.namespace}' can read the settings of {repo_id}")
        return repo

    def writable(self, repo_type: str, repo_id: str) -> Repo:
        repo = self.readable(repo_type, repo_id)
        self.require_write(repo.namespace)
        return repo

    def require_write(self, namespace: str) -> TokenInfo:
        user = self.user()
        if user.role != "write":
            raise HubError(403, f"This token has the 'read' role; '{namespace}' requires a token with write access")
        if not user.member_of(namespace):
            raise HubError(
                403, f"You don't have the rights to write to the namespace '{namespace}' (user '{user.user}')"
            )
        return user

    @property
    def fold_case(self) -> bool:
        """Ids in any letter case name the same repo (switch `case_insensitive_ids`)."""
        return self.core.fidelity.case_insensitive_ids

    def url(self, path: str) -> str:
        return f"{self.base_url}{path}"


def field(data: dict[str, Any], key: str, kind: type | tuple[type, ...], required: bool = True) -> Any:
    value = data.get(key)
    if value is None:
        if required:
            raise bad_request(f'"{key}" is required')
        return None
    if not isinstance(value, kind) or (isinstance(value, bool) and kind in (int, (int, float))):
        raise bad_request(f'"{key}" has the wrong type')
    return value


def json_response(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return JSONResponse(data, status_code=status, headers=headers)


def paginate(
    ctx: Ctx, items: list[Any], page_size: int, render: Callable[[list[Any]], list[Any]] | None = None
) -> Response:
    """One page of `items` (passed through `render`); a `Link` to the next page carries every parameter."""
    limit = ctx.param("limit")
    if limit is not None:
        if not limit.isdigit():
            raise bad_request('"limit" must be a non-negative integer')
        page_size = max(1, min(page_size, int(limit)))
    cursor = ctx.param("cursor") or "0"
    if not cursor.isdigit():
        raise bad_request("Invalid cursor")
    start = int(cursor)
    page = items[start : start + page_size]
    if render is not None:
        page = render(page)
    headers = {}
    if start + page_size < len(items):
        query = [(k, v) for k, v in ctx.query if k != "cursor"] + [("cursor", str(start + page_size))]
        headers["Link"] = f'<{ctx.url(ctx.raw_path)}?{urlencode(query)}>; rel="next"'
    return json_response(page, headers=headers)
