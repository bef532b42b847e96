"""Load: 20 concurrent clients x 200 mixed calls through the real ``HfApi``.

No 5xx may appear unless injected, and the final state must be exactly what the successful
calls wrote: each client's last variable value, every client's secret, each client's last
file content, and one commit per successful upload.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import httpx2
import pytest
from huggingface_hub import hf_hub_download
from huggingface_hub.errors import HfHubHTTPError, LocalEntryNotFoundError

from .hubtools import LOCAL_USER, api, clear_faults, make_gradio_space, served_hub, set_faults, settle, stats


@pytest.fixture
def served(tmp_path: Path) -> Iterator[SimpleNamespace]:
    with served_hub(tmp_path / "served-state") as hub:
        yield hub


CLIENTS = 20
CALLS = 200
SPACE = f"{LOCAL_USER}/load"


def _client_run(hub: Any, index: int, tmp_path: Path, injected: bool, calls: int) -> dict[str, Any]:
    client = api(hub)
    outcome: dict[str, Any] = {"errors": Counter(), "last_var": None, "last_file": None, "commits": 0,
                               "secret": False, "unexpected": []}  # fmt: skip
    for k in range(calls):
        op = k % 10
        try:
            if op == 0:
                client.add_space_variable(SPACE, f"C{index:02d}", str(k))
                outcome["last_var"] = str(k)
            elif op == 1:
                variables = client.get_space_variables(SPACE)
                assert all(v.value.isdigit() for v in variables.values())
            elif op == 2:
                assert client.space_info(SPACE, expand=["sha", "runtime"]).sha
            elif op == 3:
                assert client.get_space_runtime(SPACE).stage
            elif op == 4 and k % 20 == 4:
                content = f"client {index} call {k}\n".encode()
                client.upload_file(path_or_fileobj=content, path_in_repo=f"clients/{index:02d}.txt",
                                   repo_id=SPACE, repo_type="space", commit_message=f"c{index:02d}-{k}")  # fmt: skip
                outcome["last_file"] = content
                outcome["commits"] += 1
            elif op == 4:
                assert client.file_exists(SPACE, "app.py", repo_type="space")
            elif op == 5:
                assert "app.py" in [f.path for f in client.list_repo_tree(SPACE, repo_type="space")]
            elif op == 6:
                client.add_space_secret(SPACE, f"S{index:02d}", f"value-{index}-{k}")
                outcome["secret"] = True
            elif op == 7:
                assert isinstance(client.get_space_secrets(SPACE), dict)
            elif op == 8:
                assert client.get_paths_info(SPACE, ["app.py", "README.md"], repo_type="space")
            else:
                path = hf_hub_download(SPACE, "app.py", repo_type="space", endpoint=hub.endpoint, token=hub.token,
                                       cache_dir=tmp_path / f"cache-{index}", force_download=True)  # fmt: skip
                assert Path(path).read_bytes()
        except HfHubHTTPError as err:
            status = err.response.status_code
            outcome["errors"][status] += 1
            if not injected or status not in (500, 503):
                outcome["unexpected"].append(f"op {op} call {k}: {status} {err}")
            # An injected failure may hide an applied write (commit, variable, secret):
            # final-state checks below only run when nothing was injected.
        except (LocalEntryNotFoundError, ValueError) as err:
            # hf_hub_download turns a failed HEAD into "not in the cache either" (or, with
            # force_download, "Force download failed").
            outcome["errors"]["download"] += 1
            if not injected or op != 9:
                outcome["unexpected"].append(f"op {op} call {k}: {err}")
        except (httpx2.TransportError, AssertionError) as err:
            outcome["unexpected"].append(f"op {op} call {k}: {type(err).__name__}: {err}")
    return outcome


def _run_clients(hub: Any, tmp_path: Path, injected: bool, calls: int = CALLS) -> list[dict[str, Any]]:
    barrier = threading.Barrier(CLIENTS)

    def worker(i: int) -> dict[str, Any]:
        barrier.wait(10)
        return _client_run(hub, i, tmp_path, injected, calls)

    with ThreadPoolExecutor(CLIENTS) as pool:
        return list(pool.map(worker, range(CLIENTS)))


def test_twenty_clients_two_hundred_calls_each(served: Any, tmp_path: Path) -> None:
    local_hub = served
    client = api(local_hub)
    make_gradio_space(client, SPACE)
    settle(local_hub)
    commits_before = len(client.list_repo_commits(SPACE, repo_type="space"))
    t0 = time.monotonic()
    outcomes = _run_clients(local_hub, tmp_path, injected=False)
    elapsed = time.monotonic() - t0

    unexpected = [u for o in outcomes for u in o["unexpected"]]
    assert not unexpected, "\n".join(unexpected[:20])
    assert all(not o["errors"] for o in outcomes)

    variables = client.get_space_variables(SPACE)
    secrets = client.get_space_secrets(SPACE)
    for i, o in enumerate(outcomes):
        assert variables[f"C{i:02d}"].value == o["last_var"]
        assert f"S{i:02d}" in secrets
        path = hf_hub_download(SPACE, f"clients/{i:02d}.txt", repo_type="space", endpoint=local_hub.endpoint,
                               token=local_hub.token, cache_dir=tmp_path / "final")  # fmt: skip
        assert Path(path).read_bytes() == o["last_file"]
    commits = client.list_repo_commits(SPACE, repo_type="space")
    made = sum(o["commits"] for o in outcomes)
    assert len(commits) == commits_before + made
    titles = Counter(c.title for c in commits)
    assert all(n == 1 for t, n in titles.items() if t.startswith("c")), "a commit was recorded twice"
    # Commits form one linear history: every upload landed on top of the previous one.
    assert client.space_info(SPACE).sha == commits[0].commit_id
    total = stats(local_hub)["requests_total"]
    print(f"\nload: {CLIENTS} clients x {CALLS} calls -> {total} HTTP requests in {elapsed:.1f}s, no 5xx")


def test_load_with_injected_errors_only_sees_injected_5xx(local_hub: Any, tmp_path: Path) -> None:
    client = api(local_hub)
    make_gradio_space(client, SPACE)
    settle(local_hub)
    # Only 503 and 500 are injected; any other 5xx (or a transport error) is a server bug.
    # Latency-free and small so the client's own backoff (1 s) rarely kicks in.
    set_faults(local_hub, error_rate=0.02, error_statuses=[500, 503])
    try:
        outcomes = _run_clients(local_hub, tmp_path, injected=True, calls=40)
    finally:
        clear_faults(local_hub)
    unexpected = [u for o in outcomes for u in o["unexpected"]]
    assert not unexpected, "\n".join(unexpected[:20])
    injected = sum(sum(o["errors"].values()) for o in outcomes)
    assert injected > 0, "the error rate injected nothing"
    # The Hub is healthy afterwards and still consistent with itself.
    files = client.list_repo_files(SPACE, repo_type="space")
    assert "app.py" in files
    assert client.space_info(SPACE).sha == client.list_repo_commits(SPACE, repo_type="space")[0].commit_id
