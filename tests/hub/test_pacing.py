"""Pacing and retries, with a fake clock (no Hub, no sleeping)."""

from __future__ import annotations

import pytest

from reconciler.errors import TerminalHubError, TransientHubError
from reconciler.hub.pacing import Pacer, RetryPolicy, bucket_of, ratelimit_items, route_template, with_retries


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def test_pacer_holds_requests_once_the_window_is_spent() -> None:
    clock = FakeClock()
    pacer = Pacer(reserve=2, clock=clock, sleep=clock.sleep)
    pacer.before_request()
    pacer.after_response({"ratelimit": '"api";r=5;t=30'}, 200)
    for _ in range(3):  # 5 left minus a reserve of 2 for requests in flight
        pacer.before_request()
    assert clock.slept == []
    pacer.before_request()
    assert clock.slept and 29.9 < clock.slept[0] < 30.2


def test_pacer_without_headers_never_waits() -> None:
    clock = FakeClock()
    pacer = Pacer(clock=clock, sleep=clock.sleep)
    for _ in range(100):
        pacer.before_request()
        pacer.after_response({}, 200)
    assert clock.slept == []


def test_a_429_with_its_bucket_spent_holds_that_bucket_until_reset() -> None:
    clock = FakeClock()
    pacer = Pacer(reserve=0, clock=clock, sleep=clock.sleep)
    pacer.after_response({"ratelimit": '"api";r=0;t=12'}, 429)
    pacer.before_request("/api/spaces")
    assert clock.slept and clock.slept[0] >= 12


def test_a_per_action_429_with_budget_left_holds_no_other_request() -> None:
    # e.g. a commit refused by a per-action limit while the api bucket still has 812 requests
    clock = FakeClock()
    pacer = Pacer(reserve=8, clock=clock, sleep=clock.sleep)
    pacer.after_response({"ratelimit": '"api";r=812;t=247'}, 429)
    for _ in range(50):
        pacer.before_request("/api/spaces/acme/demo/runtime")
    assert clock.slept == []


def test_a_resolvers_window_does_not_move_the_api_bucket() -> None:
    clock = FakeClock()
    pacer = Pacer(reserve=0, clock=clock, sleep=clock.sleep)
    pacer.after_response({"ratelimit": '"api";r=100;t=300'}, 200)
    pacer.after_response({"ratelimit": '"resolvers";r=0;t=40'}, 200)
    for _ in range(100):
        pacer.before_request("/api/spaces/acme/demo")
    assert clock.slept == []
    pacer.before_request("/spaces/acme/demo/resolve/main/app.py")
    assert clock.slept and 39.9 < clock.slept[0] < 40.2
    pacer.before_request("/api/spaces/acme/demo")  # api spent now too: waits for its own reset
    assert 259 < clock.slept[1] < 261


@pytest.mark.parametrize(
    ("path", "bucket"),
    [
        ("/api/spaces", "api"),
        ("/spaces/a/b/resolve/main/x.py", "resolvers"),
        ("/a/b/resolve/main/x.bin", "resolvers"),
        ("/spaces/a/b.git/info/lfs/objects/batch", "api"),
    ],
)
def test_requests_count_against_their_bucket(path: str, bucket: str) -> None:
    assert bucket_of(path) == bucket


def test_ratelimit_items_reads_each_bucket() -> None:
    assert ratelimit_items('"api";r=5;t=30, "resolvers";r=0;t=9') == {"api": (5, 30), "resolvers": (0, 9)}


def test_retries_transient_errors_then_succeeds() -> None:
    clock = FakeClock()
    calls = iter([TransientHubError("503"), TransientHubError("429", retry_after=3.0), "ok"])

    def call() -> str:
        item = next(calls)
        if isinstance(item, Exception):
            raise item
        return item

    result = with_retries(call, policy=RetryPolicy(), translate=lambda e: e, sleep=clock.sleep)
    assert result == "ok"
    assert len(clock.slept) == 2 and clock.slept[1] >= 3.0


def test_terminal_errors_are_not_retried() -> None:
    attempts = []

    def call() -> None:
        attempts.append(1)
        raise TerminalHubError("403")

    with pytest.raises(TerminalHubError):
        with_retries(call, policy=RetryPolicy(), translate=lambda e: e, sleep=lambda s: None)
    assert len(attempts) == 1


def test_a_write_that_landed_before_its_response_was_lost_is_not_repeated() -> None:
    writes = []

    def write() -> None:
        writes.append(1)
        raise TransientHubError("connection dropped")

    result = with_retries(
        write, policy=RetryPolicy(), translate=lambda e: e, already_done=lambda: True, sleep=lambda s: None
    )
    assert result is None and len(writes) == 1


@pytest.mark.parametrize(
    ("method", "path", "expected"),
    [
        ("GET", "/api/spaces", "GET /api/spaces"),
        ("GET", "/api/spaces/acme/demo", "GET /api/spaces/{id}"),
        ("GET", "/api/spaces/acme/demo/variables", "GET /api/spaces/{id}/variables"),
        ("GET", "/api/spaces/acme/demo/tree/" + "a" * 40, "GET /api/spaces/{id}/tree/{rev}"),
        ("POST", "/api/spaces/acme/demo/commit/main", "POST /api/spaces/{id}/commit/{rev}"),
        ("GET", "/api/spaces/hardware", "GET /api/spaces/hardware"),
    ],
)
def test_route_templates_group_calls_by_endpoint(method: str, path: str, expected: str) -> None:
    assert route_template(method, path) == expected
