"""One retry layer: what our layer retries, how long it waits, and an unreachable endpoint.

The client (huggingface_hub 2.4) retries every page of a paginated listing itself
(http_backoff, utils/_pagination.py); our layer must not retry those again. A connection
refused is no longer retried by the client (see hub.client._Transport) and fails in seconds.
"""

from __future__ import annotations

import re
import socket
import time
from pathlib import Path

import httpx2
import pytest
from huggingface_hub.errors import HfHubHTTPError

from reconciler.errors import TransientHubError, UnreachableHubError
from reconciler.hub.client import HubClient
from reconciler.hub.errors import translate
from tests.e2e.conftest import run_cli


def _http_error(status: int, headers: dict[str, str]) -> HfHubHTTPError:
    request = httpx2.Request("POST", "http://127.0.0.1:1/api/spaces/acme/demo/commit/main")
    response = httpx2.Response(status, headers=headers, request=request, json={"error": "slow down"})
    return HfHubHTTPError("429 Too Many Requests", response=response)


def test_a_spent_bucket_waits_for_its_reset() -> None:
    problem = translate(_http_error(429, {"RateLimit": '"api";r=0;t=30'}))
    assert isinstance(problem, TransientHubError) and problem.retry_after == 30.5


def test_a_per_action_429_waits_retry_after_or_backs_off_not_the_bucket_reset() -> None:
    backoff = translate(_http_error(429, {"RateLimit": '"api";r=812;t=247'}))
    assert isinstance(backoff, TransientHubError) and backoff.retry_after is None
    told = translate(_http_error(429, {"RateLimit": '"api";r=812;t=247', "Retry-After": "7"}))
    assert isinstance(told, TransientHubError) and told.retry_after == 7.0


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_paginated_reads_are_not_retried_on_top_of_the_client() -> None:
    calls: list[int] = []

    def listing() -> None:
        calls.append(1)
        raise _http_error(503, {})

    with HubClient("http://127.0.0.1:1", "t", sleep=lambda s: None) as client:
        with pytest.raises(TransientHubError):
            client.read(listing, paginated=True)
        assert len(calls) == 1
        with pytest.raises(TransientHubError):
            client.read(listing)  # not paginated: ours is the only layer, so it retries
        assert len(calls) == 1 + client.retry.attempts


def test_an_unreachable_endpoint_fails_fast_naming_it() -> None:
    endpoint = f"http://127.0.0.1:{_closed_port()}"
    lines: list[str] = []
    started = time.monotonic()
    with HubClient(endpoint, "t", notify=lines.append) as client:
        with pytest.raises(UnreachableHubError) as failed:
            client.read(lambda: client._api.list_spaces_hardware())
        list_calls = client.stats.total
    assert time.monotonic() - started < 5
    assert endpoint in str(failed.value) and "connection refused" in str(failed.value)
    assert len(lines) == client.retry.unreachable_attempts - 1 == list_calls - 1


def _repo_against_a_closed_port(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A one-Space repository, run from its root, with HF_ENDPOINT on a port nothing listens on."""
    endpoint = f"http://127.0.0.1:{_closed_port()}"
    root = tmp_path / "repo"
    (root / ".git").mkdir(parents=True)
    (root / "app").mkdir()
    (root / "app" / "index.html").write_text("<p>hi</p>\n")
    (root / "manifests").mkdir()
    (root / "manifests" / "s.yaml").write_text(
        "apiVersion: spaces-reconciler/v1\nkind: Space\nmetadata: {namespace: acme, name: demo}\n"
        "spec: {sdk: static, source: {path: ../app}}\n"
    )
    monkeypatch.chdir(root)
    monkeypatch.setenv("HF_ENDPOINT", endpoint)
    monkeypatch.setenv("HF_TOKEN", "hf_x")
    return endpoint


def test_plan_against_an_unreachable_hub_exits_1_in_seconds(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    endpoint = _repo_against_a_closed_port(tmp_path, monkeypatch)
    started = time.monotonic()
    result = run_cli("plan", "manifests")
    assert time.monotonic() - started < 10
    assert result.code == 1 and endpoint in result.stderr
    assert "Traceback" not in result.output
    # at most one line per retry, plus the final error
    assert len(result.stderr.strip().splitlines()) <= 3, result.stderr


@pytest.mark.parametrize("args", [("plan",), ("apply", "--auto-approve"), ("drift",)], ids=lambda a: a[0])
def test_an_unreachable_hub_reads_the_same_in_plan_apply_and_drift(
    args: tuple[str, ...], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    endpoint = _repo_against_a_closed_port(tmp_path, monkeypatch)
    result = run_cli(*args)
    problem = f"cannot reach the Hub at {endpoint} (connection refused); check HF_ENDPOINT and the network"
    # Every call in flight fails at once; each attempt is told once, then the error, once.
    assert result.code == 1 and result.stdout == ""
    told = [re.sub(r"in \d+\.\ds", "in Ns", line) for line in result.stderr.splitlines()]
    assert told == [
        f"retrying (attempt 2 of 3) in Ns: {problem}",
        f"retrying (attempt 3 of 3) in Ns: {problem}",
        f"error: {problem}",
    ]


@pytest.mark.parametrize("in_api_bucket", [True, False], ids=["api-bucket-r>0", "own-bucket-r=0"])
def test_a_per_action_429_waits_out_only_that_call(tmp_path: Path, in_api_bucket: bool) -> None:
    # Both positions of the §13 switch: the 429 carries the api bucket with budget left, or
    # names the action's own bucket with nothing left; either way only that call waits.
    from huggingface_hub import CommitOperationAdd

    from reconciler.localhub import LocalHub
    from reconciler.localhub.fidelity import Fidelity
    from tests.localhub.hubtools import admin

    fidelity = Fidelity(per_action_429_in_api_bucket=in_api_bucket)
    with LocalHub(tmp_path / "hub", build_seconds=0.2, restart_seconds=0.1, fidelity=fidelity) as hub:
        admin(hub, "POST", "faults", {"action_limits": {"commit": {"requests": 1, "window_s": 2}}})
        with HubClient(hub.endpoint, hub.token) as client:
            client._api.create_repo("local/act", repo_type="space", space_sdk="docker")

            def commit(text: str) -> None:
                add = [CommitOperationAdd(path_in_repo="a.txt", path_or_fileobj=text.encode())]
                client.call(lambda: client._api.create_commit("local/act", add, commit_message=text, repo_type="space"))

            commit("one")
            started = time.monotonic()
            commit("two")  # refused once or more by the commit limit, then through
            assert 0.4 < time.monotonic() - started < 20
            assert client.retries and client.pacer.waited_s == 0  # no other request was held back
            read_started = time.monotonic()
            client.read(lambda: client._api.space_info("local/act"))
            assert time.monotonic() - read_started < 2
