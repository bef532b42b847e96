"""The naive baseline: what teams do today with plain huggingface_hub, one Space at a time.

Read: space_info, get_space_runtime, get_space_variables, get_space_secrets and the file tree
for every Space. Deploy: `upload_folder` the app, then set every setting (hardware, sleep
time, each variable, each secret) on every run, whether it changed or not.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx2
from huggingface_hub import HfApi
from huggingface_hub.errors import HfHubHTTPError


def read_state(api: HfApi, space_id: str) -> dict[str, Any]:
    return {
        "info": api.space_info(space_id),
        "runtime": api.get_space_runtime(space_id),
        "variables": api.get_space_variables(space_id),
        "secrets": api.get_space_secrets(space_id),
        "tree": list(api.list_repo_tree(space_id, repo_type="space", recursive=True)),
    }


class Outcome:
    """What the user of the baseline sees: states read, and the errors raised to them by status."""

    def __init__(self) -> None:
        self.states: dict[str, dict[str, Any]] = {}
        self.errors: Counter[int] = Counter()


def read_fleet(api: HfApi, ids: Sequence[str], parallelism: int = 1) -> Outcome:
    """Read every Space; a failed call is an error the user sees (the script moves on to the next Space)."""
    outcome = Outcome()

    def one(space_id: str) -> None:
        try:
            outcome.states[space_id] = read_state(api, space_id)
        except HfHubHTTPError as error:
            status = error.response.status_code if error.response is not None else 0
            outcome.errors[status] += 1

    _run(one, ids, parallelism)
    return outcome


def read_settings_only(api: HfApi, ids: Sequence[str], parallelism: int) -> None:
    """The floor of any plan: only the two per-Space reads no listing can replace (variables,
    secrets), nothing decoded beyond what huggingface_hub does, nothing planned. Its wall time
    against its own bound is what the client library reaches on this machine."""

    def one(space_id: str) -> None:
        api.get_space_variables(space_id)
        api.get_space_secrets(space_id)

    _run(one, ids, parallelism)


def read_settings_http_only(endpoint: str, token: str, ids: Sequence[str], parallelism: int) -> None:
    """The same two requests per Space through httpx2 alone, the HTTP library huggingface_hub
    sends through (one client shared by every thread, as huggingface_hub's get_session is):
    what is left of the bound once huggingface_hub itself is taken away."""
    with httpx2.Client(base_url=endpoint, headers={"authorization": f"Bearer {token}"}) as http:

        def one(space_id: str) -> None:
            for kind in ("variables", "secrets"):
                http.get(f"/api/spaces/{space_id}/{kind}").raise_for_status().json()

        _run(one, ids, parallelism)


def deploy(
    api: HfApi,
    space_id: str,
    folder: Path,
    *,
    hardware: str,
    sleep_time: int | None,
    variables: dict[str, str],
    secrets: dict[str, str],
) -> None:
    api.upload_folder(folder_path=folder, repo_id=space_id, repo_type="space", commit_message="deploy")
    api.request_space_hardware(space_id, hardware)  # type: ignore[arg-type]
    if sleep_time is not None:
        api.set_space_sleep_time(space_id, sleep_time)
    for key, value in variables.items():
        api.add_space_variable(space_id, key, value)
    for key, value in secrets.items():
        api.add_space_secret(space_id, key, value)


def _run(fn: Callable[[str], None], ids: Iterable[str], parallelism: int) -> None:
    if parallelism <= 1:
        for space_id in ids:
            fn(space_id)
        return
    with ThreadPoolExecutor(max_workers=parallelism) as pool:
        list(pool.map(fn, ids))


def roll_out(api: HfApi, space_id: str, folder: Path, poll_s: float) -> tuple[str, int]:
    """What a script does to deploy and wait: upload the folder, then `wait_for_space` (which polls
    GET runtime until the stage is not a build or start stage). Returns (final stage, polls made);
    one poll means it returned on the stage the Space showed before the push."""
    api.upload_folder(folder_path=folder, repo_id=space_id, repo_type="space", commit_message="deploy")
    polls = 0
    real = api.get_space_runtime

    def counted(*args: Any, **kwargs: Any) -> Any:
        nonlocal polls
        polls += 1
        return real(*args, **kwargs)

    api.get_space_runtime = counted  # type: ignore[method-assign]
    try:
        runtime = api.wait_for_space(space_id, poll_interval=poll_s, timeout=600)
    finally:
        del api.get_space_runtime
    return str(runtime.stage), polls
