"""The ASGI app: raw-path routing, auth, rate limits, injected faults, stats and error responses."""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from email.utils import formatdate
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import parse_qsl, unquote

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.routing import Route

from reconciler.files import open_private
from reconciler.localhub import appproxy, contention, lfs, ratelimit, xet
from reconciler.localhub import routes_git as git
from reconciler.localhub import routes_repos as repos
from reconciler.localhub import routes_spaces as spaces
from reconciler.localhub.admin import Admin, admin_refusal
from reconciler.localhub.apprunner import APPS_PREFIX
from reconciler.localhub.errors import HubError, repo_not_found
from reconciler.localhub.web import PLURAL, Core, Ctx, json_response

log = logging.getLogger("reconciler.localhub")

MAX_BODY = 200 * 1024 * 1024
LOOPBACK = ("127.0.0.1", "::1", "localhost")
INVALID_TOKEN = "Invalid credentials in Authorization header"
# Routes a client may call without (valid) credentials.
# LFS upload URLs carry their own signed credential (lfs.py); the Xet CAS authenticates its own
# calls: a Xet access token or a signed URL.
ANONYMOUS = {
    "/api/agent-harnesses",
    "/api/spaces/hardware",
    "/--replicas/+{replica}/get-reload",
    "/lfs-upload/{oid}",
    "/lfs-upload/{oid}/{upload}",
    "/lfs-upload/{oid}/{upload}/{part}",
} | xet.CAS_TEMPLATES

Handler = Callable[[Ctx, dict[str, str]], Response]
T = TypeVar("T")


@dataclass(frozen=True)
class Streamed:
    """An upload route whose body goes to a temporary file instead of memory.

    `limit` checks the request before any byte is read and returns how many bytes it may carry;
    `finish` gets the file. Both run outside the store lock: they only touch content-addressed
    files, which need none, and hashing gigabytes must not stall every other request.
    """

    limit: Callable[[Ctx, dict[str, str]], int]
    finish: Callable[[Ctx, dict[str, str], Path], Response]


# Handlers that take the store lock themselves where they need it (see Streamed).
UNLOCKED: set[Handler] = {lfs.complete}
R = "{rtype}/{ns}/{name}"
ROUTES: list[tuple[str, str, Handler]] = [
    ("GET", "api/whoami-v2", repos.whoami),
    ("GET", "api/agent-harnesses", repos.agent_harnesses),
    ("POST", "api/repos/create", repos.create_repo),
    ("DELETE", "api/repos/delete", repos.delete_repo),
    ("POST", "api/repos/move", repos.move_repo),
    ("POST", "api/validate-yaml", git.validate_yaml),
    ("GET", "api/spaces/hardware", spaces.hardware_list),
    ("POST", "api/buckets/{ns}/{name}", repos.create_bucket),
    ("GET", "api/buckets/{ns}/{name}", repos.bucket_info),
    ("GET", "api/{rtype}", repos.list_repos),
    ("GET", f"api/{R}", repos.repo_info),
    ("GET", f"api/{R}/revision/{{rev}}", repos.repo_info),
    ("GET", f"api/{R}/auth-check", repos.auth_check),
    ("GET", f"api/{R}/auth-check/{{write}}", repos.auth_check),
    ("PUT", f"api/{R}/settings", repos.update_settings),
    ("POST", f"api/{R}/duplicate", repos.duplicate),
    ("POST", f"api/{R}/preupload/{{rev}}", git.preupload),
    ("POST", f"api/{R}/commit/{{rev}}", git.commit),
    ("GET", f"api/{R}/tree/{{rev}}/{{path*}}", git.list_tree),
    ("POST", f"api/{R}/paths-info/{{rev}}", git.paths_info),
    ("GET", f"api/{R}/commits/{{rev}}", git.list_commits),
    ("GET", "api/spaces/{ns}/{name}/runtime", spaces.get_runtime),
    ("POST", "api/spaces/{ns}/{name}/hardware", spaces.request_hardware),
    ("POST", "api/spaces/{ns}/{name}/sleeptime", spaces.sleep_time),
    ("POST", "api/spaces/{ns}/{name}/pause", spaces.pause),
    ("POST", "api/spaces/{ns}/{name}/restart", spaces.restart),
    ("POST", "api/spaces/{ns}/{name}/dev-mode", spaces.dev_mode),
    ("GET", "api/spaces/{ns}/{name}/secrets", spaces.get_secrets),
    ("POST", "api/spaces/{ns}/{name}/secrets", spaces.add_secret),
    ("DELETE", "api/spaces/{ns}/{name}/secrets", spaces.delete_secret),
    ("GET", "api/spaces/{ns}/{name}/variables", spaces.get_variables),
    ("POST", "api/spaces/{ns}/{name}/variables", spaces.add_variable),
    ("DELETE", "api/spaces/{ns}/{name}/variables", spaces.delete_variable),
    ("PUT", "api/spaces/{ns}/{name}/volumes", spaces.set_volumes),
    ("DELETE", "api/spaces/{ns}/{name}/volumes", spaces.delete_volumes),
    ("GET", "api/spaces/{ns}/{name}/logs/{kind}", spaces.logs),
    ("POST", "--replicas/+{replica}/get-reload", spaces.replica_reload),
    ("HEAD GET", "{rtype}/{ns}/{name}/resolve/{rev}/{file*}", git.resolve),
    ("HEAD GET", "{ns}/{name}/resolve/{rev}/{file*}", git.resolve),
    *xet.ROUTES,
    # Git LFS batch API: `{name}` is "<name>.git" here; model URLs have no type segment.
    ("POST", f"{R}/info/lfs/objects/batch", lfs.batch),
    ("POST", "{ns}/{name}/info/lfs/objects/batch", lfs.batch),
    ("POST", f"{R}/info/lfs/objects/verify", lfs.verify),
    ("POST", "{ns}/{name}/info/lfs/objects/verify", lfs.verify),
    ("POST", "lfs-upload/{oid}/{upload}", lfs.complete),
]
STREAMED: list[tuple[str, str, Streamed]] = [
    ("PUT", "lfs-upload/{oid}", Streamed(lfs.put_limit, lfs.put_object)),
    ("PUT", "lfs-upload/{oid}/{upload}/{part}", Streamed(lfs.put_limit, lfs.put_part)),
]


def match(pattern: str, segments: list[str]) -> dict[str, str] | None:
    """Params of `segments` (already split on raw '/', then unquoted) against `pattern`, or None."""
    parts = pattern.split("/")
    params: dict[str, str] = {}
    for index, part in enumerate(parts):
        if part.endswith("*}"):
            rest = segments[index:]
            if part == "{file*}" and not any(rest):
                return None
            params[part[1:-2]] = "/".join(rest)
            return params
        if index >= len(segments):
            return None
        segment = segments[index]
        if part.startswith("+{"):
            if not segment.startswith("+") or len(segment) < 2:
                return None
            params[part[2:-1]] = segment[1:]
        elif part.startswith("{"):
            if not segment or (part == "{rtype}" and segment not in PLURAL):
                return None
            params[part[1:-1]] = segment
        elif part != segment:
            return None
    return params if len(segments) == len(parts) else None


def template(pattern: str, params: dict[str, str]) -> str:
    """The stats key: `/api/spaces/{id}/variables`, with the repo type spelled out."""
    text = "/" + pattern.replace("{ns}/{name}", "{id}").replace("*}", "}")
    if params.get("path") == "":
        text = text.removesuffix("/{path}")
    return text.replace("{rtype}", params["rtype"]) if "rtype" in params else text


def find_route(method: str, segments: list[str]) -> tuple[Handler | Streamed, dict[str, str], str] | str | None:
    """(handler, params, stats template); the template alone when only the method is wrong; None."""
    wrong_method = None
    routes: list[tuple[str, str, Handler | Streamed]] = [*ROUTES, *STREAMED]
    for methods, pattern, handler in routes:
        params = match(pattern, segments)
        if params is None:
            continue
        if method in methods.split():
            return handler, params, template(pattern, params)
        wrong_method = template(pattern, params)
    return wrong_method


def error_response(error: HubError) -> Response:
    headers = dict(error.headers)
    if error.code:
        headers["X-Error-Code"] = error.code
    if error.message == INVALID_TOKEN:
        headers["X-Error-Message"] = INVALID_TOKEN
    return json_response({"error": error.message, **error.extra}, status=error.status, headers=headers)


def dated(message: MutableMapping[str, Any], now: float) -> MutableMapping[str, Any]:
    """A response start with the Hub's Date header (RFC 9110 §6.6.1; every recorded response has
    one, e.g. hub-cassettes space-test_manage_secrets.yaml), read from the store's clock so it
    agrees with the dates in the Hub's bodies, as recorded: space-test_manage_variables.yaml answers
    `updatedAt: 2025-03-07T12:24:18.657Z` under `Date: Fri, 07 Mar 2025 12:24:18 GMT`. How far the
    Hub's clock is from a client's is recorded nowhere; the store's clock is this machine's unless
    LocalHub(clock_offset_s=...) or the admin API's `POST clock` moves it. Kept when the response
    already has one."""
    headers = list(message.get("headers") or [])
    if not any(name.lower() == b"date" for name, _ in headers):
        headers.append((b"date", formatdate(now, usegmt=True).encode("latin-1")))
    return {**message, "headers": headers}


class HubApp:
    def __init__(self, core: Core) -> None:
        self.core = core
        self.admin = Admin(core)
        self.creates = contention.CreatesInFlight()
        methods = ["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"]
        self.starlette = Starlette(routes=[Route("/{path:path}", self.endpoint, methods=methods)])

    async def __call__(self, scope: MutableMapping[str, Any], receive: Any, plain_send: Any) -> None:
        if scope["type"] != "http":
            await self.starlette(scope, receive, plain_send)
            return
        # When the request arrived: injected latency is counted from here (Faults.latency_ms).
        flags: dict[str, Any] = {"arrived": asyncio.get_running_loop().time()}
        scope["localhub"] = flags
        clock = self.core.store.clock

        async def send(message: MutableMapping[str, Any]) -> None:
            if message["type"] == "http.response.start":
                if "answer_at" in flags:  # injected latency (_serve): held back to the last moment
                    await asyncio.sleep(max(0.0, flags["answer_at"] - asyncio.get_running_loop().time()))
                message = dated(message, clock.now())
            await plain_send(message)

        running_app = self.core.apps is not None and scope["path"].startswith(APPS_PREFIX)
        if running_app and not appproxy.replica_route(scope):
            await appproxy.forward(self.core, scope, receive, send)
            return
        stats = self.admin.stats

        async def counting_receive() -> Any:
            # Request body bytes by route, counted as they arrive (streamed uploads included),
            # so tests can tell what a change really sent. The admin API is not counted.
            message = await receive()
            if message.get("type") == "http.request" and flags.get("route"):
                stats.add_bytes(flags["route"], len(message.get("body", b"")))
            return message

        async def guarded_send(message: MutableMapping[str, Any]) -> None:
            if not flags.get("drop"):
                await send(message)
            elif message["type"] == "http.response.start":
                await _abort(send, message)

        await self.starlette(scope, counting_receive, guarded_send)
        if flags.get("drop"):
            # Let the server notice the closed connection before it considers answering a 500.
            for _ in range(3):
                await asyncio.sleep(0)

    async def endpoint(self, request: Request) -> Response:
        raw_path = request.scope.get("raw_path") or request.url.path.encode()
        raw = raw_path.decode("latin-1").split("?", 1)[0]
        segments = [unquote(segment) for segment in raw.split("/")[1:]]
        query = parse_qsl(request.url.query, keep_blank_values=True)
        found = find_route(request.method, segments)
        if not (segments and segments[0] == "_localhub"):
            template_ = found[2] if isinstance(found, tuple) else found or "<unknown>"
            request.scope["localhub"]["route"] = f"{request.method} {template_}"
        streamed = isinstance(found, tuple) and isinstance(found[0], Streamed)
        try:
            body = b"" if streamed else await _read_body(request)
        except HubError as error:
            return error_response(error)
        if segments and segments[0] == "_localhub":
            return await self._admin(request, segments[1:], body, dict(query))
        route = found[2] if isinstance(found, tuple) else found or "<unknown>"
        self.admin.stats.count(f"{request.method} {route}")
        faults = self.admin.faults
        token = _bearer(request.headers)
        limit_headers: dict[str, str] = {}
        fidelity = self.core.fidelity
        if faults.rate_limit or faults.bucket_limits or faults.action_limits or fidelity.rate_limit_headers:
            # RateLimit headers per bucket on every response, and per-action limits (ratelimit.py).
            key = token or (request.client.host if request.client else "anonymous")
            quotas = {**faults.bucket_limits, **({"api": faults.rate_limit} if faults.rate_limit else {})}
            allowed, limit_headers = self.admin.limiter.check(
                key,
                raw,
                f"{request.method} {route}",
                quotas,
                faults.action_limits,
                action_in_api_bucket=fidelity.per_action_429_in_api_bucket,
            )
            if not allowed:
                what = ratelimit.action_of(f"{request.method} {route}") or ratelimit.bucket_of(raw)
                return _with(
                    error_response(HubError(429, f"You have exceeded the rate limit for {what}")), limit_headers
                )
        creator = self._creator(route, token)
        if creator is not None and not self.creates.enter(creator):
            return _with(error_response(HubError(409, contention.CONFLICT)), limit_headers)
        try:
            return await self._serve(request, found, route, raw, segments, query, body, token, limit_headers)
        finally:
            if creator is not None:
                self.creates.leave(creator)

    def _creator(self, route: str, token: str | None) -> str | None:
        """The user of a repo creation that may conflict with another of theirs (contention.py)."""
        user = self.core.store.tokens.get(token) if token else None
        fidelity = self.core.fidelity
        if route != "/api/repos/create" or user is None or not fidelity.concurrent_create_conflicts:
            return None
        return user.user

    async def _serve(
        self,
        request: Request,
        found: tuple[Handler | Streamed, dict[str, str], str] | str | None,
        route: str,
        raw: str,
        segments: list[str],
        query: list[tuple[str, str]],
        body: bytes,
        token: str | None,
        limit_headers: dict[str, str],
    ) -> Response:
        faults = self.admin.faults
        targeted = faults.applies(f"{request.method} {route}")
        if targeted and faults.latency_ms:
            # Injected latency is what a client sees, the Hub's own work inside it, as on a real
            # Hub: the request crosses the network in the first half, the answer in the second
            # (send() holds the answer until then), and the work in between (reading the body,
            # routing, the rate limiter, the handler, the response) shortens the waits instead of
            # adding to them; only work that does not fit shows. So a client keeping N requests
            # in flight can reach calls x latency / N, the P2 bound. A write takes effect halfway,
            # between the client's send and its answer, where a real Hub's does.
            flags = request.scope["localhub"]
            flags["answer_at"] = flags["arrived"] + faults.latency_ms / 1000
            halfway = flags["arrived"] + faults.latency_ms / 2000
            await asyncio.sleep(max(0.0, halfway - asyncio.get_running_loop().time()))
        if targeted and (status := faults.inject_error()) is not None:
            return _with(error_response(HubError(status, f"Injected fault: HTTP {status}")), limit_headers)
        if not isinstance(found, tuple):
            if found is None and _namespaceless(request.method, segments):
                # A repo id without a namespace names no repo: RepoNotFound, so that the
                # client's repo_exists / file_exists answer False (hub-contract §0.1).
                return _with(error_response(repo_not_found("")), limit_headers)
            message = f"Method {request.method} not allowed" if found else f"Not found: {request.method} {raw}"
            return _with(error_response(HubError(405 if found else 404, message)), limit_headers)
        handler, params, _ = found
        ctx = Ctx(self.core, request.method, raw, segments, query, request.headers, body, _base_url(request), None)
        if token is not None:
            ctx.token = self.core.store.tokens.get(token)
            if ctx.token is None and route not in ANONYMOUS:
                return _with(error_response(HubError(401, INVALID_TOKEN)), limit_headers)
        if isinstance(handler, Streamed):
            response = await self._streamed(request, handler, ctx, params)
        else:
            response = await run_in_threadpool(self._dispatch, handler, ctx, params)
        if targeted and faults.drop():
            request.scope["localhub"]["drop"] = True
        return _with(response, limit_headers)

    def _dispatch(self, handler: Handler, ctx: Ctx, params: dict[str, str]) -> Response:
        return self._run(lambda: handler(ctx, params), ctx, locked=handler not in UNLOCKED)

    def _run(self, call: Callable[[], T], ctx: Ctx, locked: bool) -> T | Response:
        """`call()`, with its HubError (or crash) answered as the Hub would."""
        try:
            if not locked:
                return call()
            with self.core.store.lock:
                return call()
        except HubError as error:
            return error_response(error)
        except Exception:
            log.exception("local Hub failure on %s %s", ctx.method, ctx.raw_path)
            return error_response(HubError(500, "Internal error in the local Hub; see its log"))

    async def _streamed(self, request: Request, route: Streamed, ctx: Ctx, params: dict[str, str]) -> Response:
        """Check the request, stream its body to a temporary file, hand the file over; never the body in memory."""
        limit = await run_in_threadpool(self._run, lambda: route.limit(ctx, params), ctx, False)
        if isinstance(limit, Response):
            return limit  # the request was refused before its body was read
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            return error_response(HubError(413, f"This upload may carry at most {limit} bytes"))
        temp = self.core.store.temp_path()
        try:
            size = 0
            with open_private(temp) as out:
                buffer: list[bytes] = []
                buffered = 0
                async for chunk in request.stream():
                    size += len(chunk)
                    if size > limit:
                        raise HubError(413, f"This upload may carry at most {limit} bytes")
                    buffer.append(chunk)
                    buffered += len(chunk)
                    if buffered >= _WRITE_BATCH:
                        await run_in_threadpool(out.writelines, buffer)
                        buffer, buffered = [], 0
                await run_in_threadpool(out.writelines, buffer)
            return await run_in_threadpool(self._run, lambda: route.finish(ctx, params, temp), ctx, False)
        except HubError as error:
            return error_response(error)
        except ClientDisconnect:
            return error_response(HubError(400, "The client closed the connection before the whole body arrived"))
        finally:
            temp.unlink(missing_ok=True)  # moved into the store on success, else dropped

    async def _admin(self, request: Request, segments: list[str], body: bytes, query: dict[str, str]) -> Response:
        # The one gate of every admin route, present and future: Admin.handle is reached only from here.
        if request.client is None or request.client.host not in LOOPBACK:
            return error_response(HubError(403, "The admin API only answers on loopback"))
        refusal = admin_refusal(request.method, request.headers, self.core.store.default_token)
        if refusal is not None:
            return error_response(refusal)
        try:
            data = json.loads(body) if body.strip() else {}
            if not isinstance(data, dict):
                raise HubError(400, "The JSON body must be an object")
            return await run_in_threadpool(self.admin.handle, request.method, segments, data, query)
        except json.JSONDecodeError as problem:
            return error_response(HubError(400, f"Invalid JSON body: {problem}"))
        except HubError as error:
            return error_response(error)


_WRITE_BATCH = 1024 * 1024  # bytes gathered before one write to disk


async def _read_body(request: Request) -> bytes:
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY:
        raise HubError(413, f"Request body too large (limit {MAX_BODY // (1024 * 1024)} MB)")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY:
            raise HubError(413, f"Request body too large (limit {MAX_BODY // (1024 * 1024)} MB)")
        chunks.append(chunk)
    return b"".join(chunks)


def _namespaceless(method: str, segments: list[str]) -> bool:
    """Whether this is a repo route whose id lacks its namespace (`/api/models/gpt2`,
    `/gpt2/resolve/main/x`): with one inserted, a route would match."""
    at = 2 if segments[:1] == ["api"] else 1 if segments[:1] and segments[0] in PLURAL else 0
    return len(segments) > at and isinstance(find_route(method, [*segments[:at], "_", *segments[at:]]), tuple)


def _bearer(headers: Headers) -> str | None:
    value = headers.get("authorization", "")
    scheme, _, token = value.partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None


def _base_url(request: Request) -> str:
    host = request.headers.get("host")
    if not host and request.scope.get("server"):
        server_host, port = request.scope["server"]
        host = f"{server_host}:{port}"
    return f"{request.url.scheme}://{host}"


def _with(response: Response, headers: dict[str, str]) -> Response:
    response.headers["X-Request-Id"] = str(uuid.uuid4())
    for key, value in headers.items():
        response.headers[key] = value
    return response


async def _abort(send: Callable[[Any], Awaitable[None]], start: MutableMapping[str, Any]) -> None:
    """Close the connection without answering: the change was applied, the client cannot know."""
    transport = getattr(getattr(send, "__self__", None), "transport", None)
    if transport is not None:
        transport.close()
        return
    # No transport in reach: start a response that promises a body it never gets.
    await send({**start, "headers": [(b"content-length", b"1")]})
    raise ConnectionAbortedError("response dropped by fault injection")
