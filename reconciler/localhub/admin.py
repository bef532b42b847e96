"""The admin API under /_localhub/: tokens, stats, faults, §13 switches, the clock, events, repo views."""

from __future__ import annotations

import hmac
import random
import threading
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from starlette.responses import Response

from reconciler.localhub import lifecycle, ratelimit
from reconciler.localhub.errors import HubError, bad_request
from reconciler.localhub.state import REPO_TYPES
from reconciler.localhub.web import Core, json_response

# Host names that reach this machine only. A page that rebinds its own name to 127.0.0.1 still
# sends its name in Host, so checking Host stops DNS rebinding; checking Origin stops a page
# that posts to http://127.0.0.1:PORT directly.
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")
# Methods that carry no body and change nothing: they need the token, not a content type.
READS = ("GET", "HEAD")


def admin_headers(token: str) -> dict[str, str]:
    """What every admin request sends: the admin token (DIR/token) and a JSON content type."""
    return {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}


def _host_name(host: str) -> str:
    if host.startswith("["):
        return host[1:].split("]", 1)[0]
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def admin_refusal(method: str, headers: Mapping[str, str], admin_token: str) -> HubError | None:
    """Why an admin request is refused, or None. Checked before any admin route runs.

    Any local process or browser page can reach a loopback port: the token proves the caller
    could read DIR/token (mode 0600); a JSON content type cannot be sent cross-site without a
    CORS preflight, which this server never answers.
    """
    host = headers.get("host", "")
    if _host_name(host).lower() not in LOOPBACK_HOSTS:
        return HubError(403, f"The admin API answers only to a loopback Host, not {host[:100]!r}")
    origin = headers.get("origin")
    if origin is not None and origin != f"http://{host}":
        return HubError(403, f"The admin API refuses cross-origin requests (Origin {origin[:100]!r})")
    scheme, _, token = headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(token.strip().encode(), admin_token.encode()):
        return HubError(401, "The admin API needs the admin token (the state folder's `token` file) as a Bearer token")
    media_type = headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if method not in READS and media_type != "application/json":
        return HubError(415, "The admin API accepts only Content-Type: application/json")
    return None


@dataclass
class Faults:
    # Each targeted request is answered no sooner than latency_ms after it arrived, the Hub's
    # own work inside that time (server.py), so a client that keeps N requests in flight can
    # reach calls x latency / N, the P2 bound.
    latency_ms: float = 0.0
    error_rate: float = 0.0
    error_statuses: list[int] = field(default_factory=lambda: [500, 503])
    drop_response_rate: float = 0.0
    rate_limit: tuple[int, float] | None = None  # (requests, window seconds) of the api bucket
    # Other buckets ("resolvers", "pages") and per-action limits ("commit", "create"), see ratelimit.py.
    bucket_limits: dict[str, tuple[int, float]] = field(default_factory=dict)
    action_limits: dict[str, tuple[int, float]] = field(default_factory=dict)
    # Stats keys ("POST /api/spaces/{id}/commit/{rev}") latency, errors and drops apply to; None: all.
    routes: frozenset[str] | None = None
    seed: int = 0
    rng: random.Random = field(default_factory=random.Random)

    def applies(self, route: str) -> bool:
        return self.routes is None or route in self.routes

    def inject_error(self) -> int | None:
        if self.error_rate and self.rng.random() < self.error_rate:
            return self.rng.choice(self.error_statuses)
        return None

    def drop(self) -> bool:
        return bool(self.drop_response_rate) and self.rng.random() < self.drop_response_rate


def parse_faults(body: dict[str, Any]) -> Faults:
    """The faults of an admin request. `seed` makes their sequence repeatable; without one a seed
    is drawn, and either way it is in the response, so a failing test can print it."""
    seed = body.get("seed", random.randrange(2**32))
    if not isinstance(seed, int) or isinstance(seed, bool):
        raise bad_request('"seed" must be an integer')
    faults = Faults(seed=seed, rng=random.Random(seed))
    for key in ("latency_ms", "error_rate", "drop_response_rate"):
        value = body.get(key, 0) or 0
        if not isinstance(value, (int, float)) or isinstance(value, bool) or value < 0:
            raise bad_request(f'"{key}" must be a non-negative number')
        if key != "latency_ms" and value > 1:
            raise bad_request(f'"{key}" is a probability between 0 and 1')
        setattr(faults, key, float(value))
    statuses = body.get("error_statuses")
    if statuses is not None:
        if (
            not isinstance(statuses, list)
            or not statuses
            or not all(isinstance(s, int) and 400 <= s <= 599 for s in statuses)
        ):
            raise bad_request('"error_statuses" must be a non-empty list of HTTP error statuses')
        faults.error_statuses = statuses
    routes = body.get("routes")
    if routes is not None:
        if not isinstance(routes, list) or not routes or not all(isinstance(r, str) for r in routes):
            raise bad_request(
                '"routes" must be a non-empty list of stats keys such as "POST /api/spaces/{id}/commit/{rev}"'
            )
        faults.routes = frozenset(routes)
    for key, known, target in (
        ("bucket_limits", ("resolvers", "pages"), faults.bucket_limits),
        ("action_limits", tuple(ratelimit.ACTIONS), faults.action_limits),
    ):
        for name, item in (body.get(key) or {}).items():
            if name not in known:
                raise bad_request(f'"{key}" names one of {", ".join(known)}, not {name!r}')
            target[name] = _window(item, f"{key}.{name}")
    limit = body.get("rate_limit")
    if limit:
        if not isinstance(limit, dict):
            raise bad_request('"rate_limit" must be an object with "requests" and "window_s"')
        requests, window = limit.get("requests"), limit.get("window_s")
        if not isinstance(requests, int) or requests < 1 or not isinstance(window, (int, float)) or window <= 0:
            raise bad_request('"rate_limit" needs positive "requests" and "window_s"')
        faults.rate_limit = (requests, float(window))
    return faults


def _window(item: Any, key: str) -> tuple[int, float]:
    requests = item.get("requests") if isinstance(item, dict) else None
    window = item.get("window_s") if isinstance(item, dict) else None
    if not isinstance(requests, int) or requests < 1 or not isinstance(window, (int, float)) or window <= 0:
        raise bad_request(f'"{key}" needs positive "requests" and "window_s"')
    return requests, float(window)


class Stats:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.total = 0
        self.by_route: Counter[str] = Counter()
        self.bytes_by_route: Counter[str] = Counter()

    def count(self, route: str) -> None:
        with self._lock:
            self.total += 1
            self.by_route[route] += 1

    def add_bytes(self, route: str, count: int) -> None:
        with self._lock:
            self.bytes_by_route[route] += count

    def reset(self) -> None:
        with self._lock:
            self.total = 0
            self.by_route.clear()
            self.bytes_by_route.clear()

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {
                "requests_total": self.total,
                "by_route": dict(self.by_route),
                "bytes_total": sum(self.bytes_by_route.values()),
                "bytes_by_route": dict(self.bytes_by_route),
            }


class Admin:
    def __init__(self, core: Core) -> None:
        self.core = core
        self.stats = Stats()
        self.faults = Faults()
        self.limiter = ratelimit.Limiter()

    def handle(self, method: str, segments: list[str], body: dict[str, Any], query: dict[str, str]) -> Response:
        store = self.core.store
        route = (method, *segments)
        if route == ("POST", "tokens"):
            return self._token(body)
        if method == "POST" and len(segments) == 2 and segments[0] == "accounts":
            # plan / canPay / fullname of a user or an org, as whoami shows them (accounts.py)
            return json_response(self.core.accounts.update(segments[1], body))
        if route == ("GET", "stats"):
            return json_response(self.stats.snapshot())
        if route == ("POST", "stats", "reset"):
            self.stats.reset()
            return json_response(self.stats.snapshot())
        if route == ("POST", "faults"):
            self.faults = parse_faults(body)
            self.limiter.reset()
            return json_response({"ok": True, "seed": self.faults.seed})
        if route == ("GET", "fidelity"):
            return json_response(self.core.fidelity.as_dict())
        if route == ("POST", "fidelity"):
            try:
                self.core.fidelity.update(body)
            except ValueError as problem:
                raise bad_request(str(problem)) from None
            return json_response(self.core.fidelity.as_dict())
        if route == ("POST", "clock"):
            advance = body.get("advance_s")
            if not isinstance(advance, (int, float)) or isinstance(advance, bool) or advance < 0:
                raise bad_request('"advance_s" must be a non-negative number of seconds')
            with store.lock:
                store.clock.advance(float(advance))
                store.save_clock()
            return json_response({"offset_s": store.clock.offset, "now": store.clock.now()})
        if route == ("GET", "events"):
            repo = query.get("repo")
            with store.lock:
                return json_response([e for e in store.events if repo is None or e["repo"] == repo])
        if method == "GET" and len(segments) == 4 and segments[0] == "repos":
            return self._repo_view(*segments[1:])
        raise HubError(404, f"Unknown admin route {method} /_localhub/{'/'.join(segments)}")

    def _token(self, body: dict[str, Any]) -> Response:
        token, user, role = body.get("token"), body.get("user"), body.get("role", "write")
        orgs = body.get("orgs") or []
        if not isinstance(token, str) or not token or not isinstance(user, str) or not user:
            raise bad_request('"token" and "user" are required strings')
        if role not in ("read", "write"):
            raise bad_request('"role" must be "read" or "write"')
        if not isinstance(orgs, list) or not all(isinstance(org, str) and org for org in orgs):
            raise bad_request('"orgs" must be a list of organization names')
        self.core.store.add_token(token, user, role, orgs)
        return json_response({"user": user, "role": role, "orgs": orgs})

    def _repo_view(self, kind: str, namespace: str, name: str) -> Response:
        repo_type = kind[:-1] if kind.endswith("s") else kind
        if repo_type not in REPO_TYPES:
            raise bad_request(f"Unknown repo type {kind!r}")
        store = self.core.store
        with store.lock:
            repo = store.get(repo_type, f"{namespace}/{name}")
            if repo is None:
                raise HubError(404, f"No {repo_type} {namespace}/{name}", "RepoNotFound")
            view: dict[str, Any] = {
                "type": repo.type,
                "id": repo.id,
                "sha": repo.head,
                "commits": len(repo.commits),
                "visibility": repo.visibility,
                "gated": repo.gated,
                "files": sorted(repo.tree),
            }
            if repo.type == "space":
                view.update(
                    sdk=lifecycle.sdk_of(repo),
                    hardware=repo.hardware,
                    sleep_time=repo.sleep,
                    dev_mode=repo.dev_mode,
                    variables=repo.variables,
                    volumes=repo.volumes,
                    run=repo.run,
                    secrets={
                        key: {"description": s["description"], "updatedAt": s["updatedAt"]}
                        for key, s in repo.secrets.items()
                    },
                    runtime=lifecycle.runtime_json(self.core, repo),
                )
            return json_response(view)
