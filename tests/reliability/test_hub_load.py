"""R7: the local Hub (`reconcile hub serve`, its own process) under many concurrent clients.

Each client writes its own Space (a variable, small commits) and one shared Space (its own
variable key) and reads both. No call may fail, and the final state must be exactly what the
calls wrote: every client's last variable values and one commit per upload."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from huggingface_hub import HfApi

from tests.localhub.hubtools import served_hub

SHARED = "local/r7-shared"


@pytest.fixture
def served(tmp_path: Path) -> Iterator[SimpleNamespace]:
    with served_hub(tmp_path / "served") as hub:
        yield hub


def _client(hub: SimpleNamespace, index: int, requests: int) -> dict[str, Any]:
    api = HfApi(endpoint=hub.endpoint, token=hub.token)
    own = f"local/r7-{index:02d}"
    done: dict[str, Any] = {"errors": [], "uploads": 0, "last": None, "shared": None}
    calls = 0
    step = 0
    while calls < requests:
        step += 1
        try:
            match step % 6:
                case 0:
                    api.add_space_variable(own, "STEP", str(step))
                    done["last"] = str(step)
                    calls += 1
                case 1:
                    values = api.get_space_variables(own)
                    assert done["last"] is None or values["STEP"].value == done["last"], "a read lost a write"
                    calls += 1
                case 2:
                    api.add_space_variable(SHARED, f"C{index:02d}", str(step))
                    done["shared"] = str(step)
                    calls += 1
                case 3:
                    assert api.space_info(SHARED, expand=["sha", "runtime"]).sha
                    calls += 1
                case 4:
                    assert api.get_space_runtime(own).stage
                    calls += 1
                case _ if step % 30 == 5:
                    api.upload_file(path_or_fileobj=f"{index} {step}\n".encode(), path_in_repo="data.txt",
                                    repo_id=own, repo_type="space", commit_message=f"step {step}")  # fmt: skip
                    done["uploads"] += 1
                    calls += 2  # preupload + commit
                case _:
                    api.list_repo_tree(own, repo_type="space")
                    calls += 1
        except Exception as error:  # every failure is unexpected here
            done["errors"].append(f"{type(error).__name__}: {error}"[:300])
    return done


def _load(hub: SimpleNamespace, clients: int, requests: int) -> None:
    api = HfApi(endpoint=hub.endpoint, token=hub.token)
    api.create_repo(SHARED, repo_type="space", space_sdk="gradio")
    for index in range(clients):
        api.create_repo(f"local/r7-{index:02d}", repo_type="space", space_sdk="gradio")
    initial = {i: len(api.list_repo_commits(f"local/r7-{i:02d}", repo_type="space")) for i in range(clients)}
    with ThreadPoolExecutor(max_workers=clients) as pool:
        results = list(pool.map(lambda i: _client(hub, i, requests), range(clients)))
    errors = [error for result in results for error in result["errors"]]
    assert errors == [], f"{len(errors)} unexpected error(s), e.g. {errors[:3]}"
    shared = api.get_space_variables(SHARED)
    for index, result in enumerate(results):
        own = f"local/r7-{index:02d}"
        assert api.get_space_variables(own)["STEP"].value == result["last"]
        assert shared[f"C{index:02d}"].value == result["shared"], f"C{index:02d} lost its last write"
        commits = len(api.list_repo_commits(own, repo_type="space"))
        assert commits == initial[index] + result["uploads"], f"{own}: {commits} commits"
    print(f"R7: {clients} clients x {requests} requests, 0 unexpected errors, state consistent")


def test_local_hub_under_concurrent_clients(served: SimpleNamespace) -> None:
    _load(served, clients=10, requests=100)


@pytest.mark.slow
@pytest.mark.timeout(1800)
def test_local_hub_under_50_clients_x_1000_requests(served: SimpleNamespace) -> None:
    _load(served, clients=50, requests=1000)
