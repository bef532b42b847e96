"""Fault injection (DESIGN.md "The local Hub"): latency, error rate, dropped responses after the
change was applied, and rate limits that the real client's own 429 retry honours."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from typing import Any

import httpx2
import pytest
from huggingface_hub.errors import HfHubHTTPError
from huggingface_hub.utils import parse_ratelimit_headers

from reconciler.localhub.server import HubApp

from .hubtools import (
    LOCAL_USER,
    admin,
    api,
    clear_faults,
    make_gradio_space,
    reset_stats,
    route_count,
    run_in_background,
    set_faults,
    stats,
)

SPACE = f"{LOCAL_USER}/faulty"


def test_latency_is_added_to_every_request(local_hub: Any) -> None:
    client = api(local_hub)
    client.create_repo(SPACE, repo_type="space", space_sdk="gradio")
    set_faults(local_hub, latency_ms=300)
    t0 = time.monotonic()
    client.get_space_variables(SPACE)
    client.space_info(SPACE)
    slow = time.monotonic() - t0
    clear_faults(local_hub)
    t0 = time.monotonic()
    client.get_space_variables(SPACE)
    client.space_info(SPACE)
    fast = time.monotonic() - t0
    assert slow >= 0.6, slow
    assert fast < 0.3, fast


def _slow_body(seconds: float) -> Iterator[bytes]:
    """A JSON body sent in two halves `seconds` apart (chunked), as a slow uplink would."""
    body = json.dumps({"key": "SLOW", "value": "v"}).encode()
    yield body[:5]
    time.sleep(seconds)
    yield body[5:]


def _post_slowly(hub: Any, seconds: float) -> float:
    started = time.monotonic()
    response = httpx2.post(
        f"{hub.endpoint}/api/spaces/{SPACE}/variables",
        content=_slow_body(seconds),
        headers={"authorization": f"Bearer {hub.token}", "content-type": "application/json"},
        timeout=30,
    )
    assert response.status_code == 200, response.text
    return time.monotonic() - started


def test_latency_counts_from_arrival_the_servers_own_time_included(local_hub: Any) -> None:
    """latency_ms is when the answer may come, counted from the request's arrival: time the Hub
    already spent receiving it is inside the latency, not added to it (so a client keeping N
    requests in flight can reach calls x latency / N). A body that takes 0.6 s to arrive,
    with 0.6 s of latency, is answered about 0.6 s after it started, not 1.2 s."""
    api(local_hub).create_repo(SPACE, repo_type="space", space_sdk="gradio")
    set_faults(local_hub, latency_ms=600)
    slow_upload = _post_slowly(local_hub, 0.6)
    quick_upload = _post_slowly(local_hub, 0.0)
    clear_faults(local_hub)
    assert quick_upload >= 0.6, quick_upload  # the latency still holds for a body that arrives at once
    assert 0.6 <= slow_upload < 1.0, slow_upload


def test_latency_holds_the_hubs_own_work_inside_it(local_hub: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """The handler's own work is inside latency_ms too, not added after it: with 0.6 s of latency
    a read whose handler takes 0.25 s is answered about 0.6 s after it was sent (0.85 s when the
    work came after the wait). The answer still never comes before the latency."""
    api(local_hub).create_repo(SPACE, repo_type="space", space_sdk="gradio")
    dispatch = HubApp._dispatch

    def slow_dispatch(self: HubApp, *args: Any) -> Any:
        time.sleep(0.25)
        return dispatch(self, *args)

    monkeypatch.setattr(HubApp, "_dispatch", slow_dispatch)
    client = api(local_hub)
    set_faults(local_hub, latency_ms=600)
    started = time.monotonic()
    client.get_space_variables(SPACE)
    slow_handler = time.monotonic() - started
    monkeypatch.setattr(HubApp, "_dispatch", dispatch)
    started = time.monotonic()
    client.get_space_variables(SPACE)
    quick_handler = time.monotonic() - started
    clear_faults(local_hub)
    assert 0.6 <= slow_handler < 0.8, slow_handler
    assert 0.6 <= quick_handler < 0.8, quick_handler


def test_error_rate_one_fails_without_applying_the_change(local_hub: Any) -> None:
    client = api(local_hub)
    client.create_repo(SPACE, repo_type="space", space_sdk="gradio")
    set_faults(local_hub, error_rate=1.0, error_statuses=[503])
    reset_stats(local_hub)
    with pytest.raises(HfHubHTTPError) as exc:
        client.add_space_variable(SPACE, "K", "v")  # no retry on this call (hub-contract 0.2)
    assert exc.value.response.status_code == 503
    assert route_count(local_hub, "POST /api/spaces/{id}/variables") == 1
    clear_faults(local_hub)
    assert client.get_space_variables(SPACE) == {}


def test_error_rate_is_a_probability_over_the_given_statuses(local_hub: Any) -> None:
    client = api(local_hub)
    client.create_repo(SPACE, repo_type="space", space_sdk="gradio")
    set_faults(local_hub, error_rate=0.5, error_statuses=[500, 502])
    seen: list[int] = []
    for _ in range(80):
        try:
            client.get_space_runtime(SPACE)
            seen.append(200)
        except HfHubHTTPError as err:
            seen.append(err.response.status_code)
    clear_faults(local_hub)
    failures = [s for s in seen if s != 200]
    assert set(failures) <= {500, 502}
    assert 15 <= len(failures) <= 65, len(failures)  # Binomial(80, 0.5): far outside 6 sigma otherwise
    assert {500, 502} <= set(failures)


def test_client_retries_an_injected_503_on_backoff_calls(local_hub: Any) -> None:
    client = api(local_hub)
    make_gradio_space(client, SPACE)
    set_faults(local_hub, error_rate=1.0, error_statuses=[503])
    reset_stats(local_hub)

    def heal_after_first_failure() -> None:
        deadline = time.monotonic() + 10
        while route_count(local_hub, "GET /api/spaces/{id}/tree/{rev}") < 1 and time.monotonic() < deadline:
            time.sleep(0.02)
        clear_faults(local_hub)

    healer = run_in_background(heal_after_first_failure)
    t0 = time.monotonic()
    files = client.list_repo_files(SPACE, repo_type="space")  # paginated GET: http_backoff retries 5xx
    elapsed = time.monotonic() - t0
    healer.join(5)
    assert "app.py" in files
    assert route_count(local_hub, "GET /api/spaces/{id}/tree/{rev}") == 2
    assert 0.9 <= elapsed < 5, elapsed  # first backoff sleep is 1 s


def test_dropped_response_applies_the_change_first(local_hub: Any) -> None:
    client = api(local_hub)
    make_gradio_space(client, SPACE, extra_files={"gone.txt": b"bye\n"})
    head_before = client.space_info(SPACE).sha
    set_faults(local_hub, drop_response_rate=1.0)
    with pytest.raises(httpx2.TransportError):
        client.add_space_variable(SPACE, "APPLIED", "yes")
    with pytest.raises(httpx2.TransportError):
        client.delete_file("gone.txt", SPACE, repo_type="space")  # a commit POST, no preupload
    clear_faults(local_hub)
    # The client could not tell these from failures, but the Hub applied both.
    assert client.get_space_variables(SPACE)["APPLIED"].value == "yes"
    assert not client.file_exists(SPACE, "gone.txt", repo_type="space")
    assert client.space_info(SPACE).sha != head_before
    assert client.list_repo_commits(SPACE, repo_type="space")[0].title.startswith("Delete gone.txt")


def test_rate_limit_answers_429_with_hub_headers(local_hub: Any) -> None:
    client = api(local_hub)
    client.create_repo(SPACE, repo_type="space", space_sdk="gradio")
    set_faults(local_hub, rate_limit={"requests": 3, "window_s": 60})
    for _ in range(3):
        client.get_space_variables(SPACE)
    with pytest.raises(HfHubHTTPError) as exc:
        client.get_space_variables(SPACE)  # no retry on this call: the 429 surfaces at once
    response = exc.value.response
    assert response.status_code == 429
    assert response.headers["RateLimit-Policy"] == '"fixed window";"api";q=3;w=60'
    info = parse_ratelimit_headers(response.headers)
    assert info is not None
    assert info.remaining == 0 and 1 <= info.reset_in_seconds <= 60
    assert info.limit == 3 and info.window_seconds == 60
    # A successful response also reports the budget.
    clear_faults(local_hub)
    set_faults(local_hub, rate_limit={"requests": 5, "window_s": 60})
    with httpx2.Client(timeout=10) as c:
        ok = c.get(f"{local_hub.endpoint}/api/spaces/{SPACE}/variables",
                   headers={"authorization": f"Bearer {local_hub.token}"})  # fmt: skip
    assert ok.status_code == 200
    assert re.fullmatch(r'"api";r=4;t=\d+', ok.headers["RateLimit"]), ok.headers["RateLimit"]
    # The admin API itself is never rate limited.
    for _ in range(10):
        stats(local_hub)


def test_client_429_retry_honours_reset_time(local_hub: Any) -> None:
    client = api(local_hub)
    make_gradio_space(client, SPACE)
    set_faults(local_hub, rate_limit={"requests": 2, "window_s": 1})
    reset_stats(local_hub)
    t0 = time.monotonic()
    results = [client.list_repo_files(SPACE, repo_type="space") for _ in range(3)]
    elapsed = time.monotonic() - t0
    clear_faults(local_hub)
    assert all("app.py" in files for files in results)
    # The third call got a 429 with r=0;t=1 and the client slept t+1 = 2 s before its retry.
    assert route_count(local_hub, "GET /api/spaces/{id}/tree/{rev}") == 4
    assert 2.0 <= elapsed < 5.0, elapsed


def test_faults_can_target_some_routes_only(local_hub: Any) -> None:
    client = api(local_hub)
    make_gradio_space(client, SPACE)
    set_faults(local_hub, drop_response_rate=1.0, routes=["POST /api/spaces/{id}/commit/{rev}"])
    head_before = client.space_info(SPACE).sha  # not a targeted route: answered
    with pytest.raises(httpx2.TransportError):
        client.upload_file(path_or_fileobj=b"x\n", path_in_repo="x.txt", repo_id=SPACE, repo_type="space")
    assert client.space_info(SPACE).sha != head_before  # the commit was made, its answer dropped
    clear_faults(local_hub)


def test_stats_count_request_body_bytes_by_route(local_hub: Any) -> None:
    client = api(local_hub)
    make_gradio_space(client, SPACE)
    reset_stats(local_hub)
    client.add_space_variable(SPACE, "K", "v")
    counted = stats(local_hub)
    sent = len(b'{"key":"K","value":"v"}')  # the client's compact JSON body
    assert counted["bytes_by_route"] == {"POST /api/spaces/{id}/variables": sent}
    assert counted["bytes_total"] == sent
    reset_stats(local_hub)
    assert stats(local_hub)["bytes_total"] == 0


def test_the_same_seed_gives_the_same_faults(local_hub: Any) -> None:
    def outcomes(seed: int) -> list[int]:
        answer = admin(local_hub, "POST", "faults", {"error_rate": 0.5, "seed": seed})
        assert answer["seed"] == seed
        with httpx2.Client() as client:
            return [client.get(f"{local_hub.endpoint}/api/spaces/hardware").status_code for _ in range(24)]

    first = outcomes(7)
    assert first == outcomes(7)
    assert {200} < set(first)  # some failed, some passed: the rate was applied
    drawn = admin(local_hub, "POST", "faults", {"error_rate": 0.5})["seed"]
    assert isinstance(drawn, int)  # without a seed one is drawn and reported
