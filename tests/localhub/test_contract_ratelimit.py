"""RateLimit headers per bucket, and per-action limits (hub-contract §0.2, §13), through the real client."""

from __future__ import annotations

import httpx2
import pytest
from huggingface_hub import CommitOperationAdd
from huggingface_hub.errors import HfHubHTTPError

from reconciler.hub.pacing import ratelimit_items
from reconciler.localhub import LocalHub
from tests.localhub.hubtools import admin, api, make_gradio_space, switch

SPACE = "local/limits"


def _get(hub: LocalHub, path: str) -> httpx2.Response:
    return httpx2.get(f"{hub.endpoint}{path}", headers={"authorization": f"Bearer {hub.token}"})


def test_every_response_names_its_bucket(local_hub: LocalHub) -> None:
    make_gradio_space(api(local_hub), SPACE)
    api_answer = _get(local_hub, f"/api/spaces/{SPACE}")
    assert set(ratelimit_items(api_answer.headers["RateLimit"])) == {"api"}
    assert '"fixed window";"api";q=' in api_answer.headers["RateLimit-Policy"]
    download = _get(local_hub, f"/spaces/{SPACE}/resolve/main/app.py")
    assert set(ratelimit_items(download.headers["RateLimit"])) == {"resolvers"}


def test_a_spent_resolvers_bucket_leaves_the_api_bucket_alone(local_hub: LocalHub) -> None:
    make_gradio_space(api(local_hub), SPACE)
    admin(local_hub, "POST", "faults", {"bucket_limits": {"resolvers": {"requests": 1, "window_s": 60}}})
    assert _get(local_hub, f"/spaces/{SPACE}/resolve/main/app.py").status_code == 200
    refused = _get(local_hub, f"/spaces/{SPACE}/resolve/main/app.py")
    assert refused.status_code == 429 and ratelimit_items(refused.headers["RateLimit"])["resolvers"][0] == 0
    assert _get(local_hub, f"/api/spaces/{SPACE}").status_code == 200


def test_a_per_action_limit_answers_429_with_budget_left_in_the_api_bucket(local_hub: LocalHub) -> None:
    client = api(local_hub)
    make_gradio_space(client, SPACE)
    admin(local_hub, "POST", "faults", {"action_limits": {"commit": {"requests": 1, "window_s": 60}}})

    def add(text: bytes) -> list[CommitOperationAdd]:
        return [CommitOperationAdd(path_in_repo="a.py", path_or_fileobj=text)]

    client.create_commit(SPACE, add(b"a = 1\n"), commit_message="one", repo_type="space")
    with pytest.raises(HfHubHTTPError) as refused:
        client.create_commit(SPACE, add(b"a = 2\n"), commit_message="two", repo_type="space")
    response = refused.value.response
    assert response.status_code == 429
    remaining, _ = ratelimit_items(response.headers["RateLimit"])["api"]
    assert remaining > 0  # the header alone cannot tell this 429 from a spent bucket's
    assert client.space_info(SPACE).id == SPACE  # other calls go on


def test_switched_headers_only_while_a_limit_is_set_and_actions_name_their_bucket(local_hub: LocalHub) -> None:
    client = api(local_hub)
    make_gradio_space(client, SPACE)
    switch(local_hub, rate_limit_headers=False, per_action_429_in_api_bucket=False)
    assert "RateLimit" not in _get(local_hub, f"/api/spaces/{SPACE}").headers
    admin(local_hub, "POST", "faults", {"action_limits": {"commit": {"requests": 1, "window_s": 60}}})

    def commit(text: bytes) -> None:
        add = [CommitOperationAdd(path_in_repo="a.py", path_or_fileobj=text)]
        client.create_commit(SPACE, add, commit_message="c", repo_type="space")

    commit(b"a = 1\n")
    with pytest.raises(HfHubHTTPError) as refused:
        commit(b"a = 2\n")
    items = ratelimit_items(refused.value.response.headers["RateLimit"])
    assert list(items) == ["commits"] and items["commits"][0] == 0
