"""Space runtime, settings, secrets, variables, volumes and logs through the real ``HfApi``
(hub-contract.md sections 4 to 7 and the simulated outcomes of DESIGN.md)."""

from __future__ import annotations

import os
import threading
import time
from typing import Any

import pytest
from huggingface_hub import CommitOperationAdd, Volume
from huggingface_hub.errors import BadRequestError, RepositoryNotFoundError

from .hubtools import (
    GRADIO_APP,
    GRADIO_README,
    LOCAL_USER,
    advance,
    api,
    events,
    make_gradio_space,
    route_count,
    settle,
    switch,
)

BUILD_S = 20.0  # the fixture's defaults: LocalHub(build_seconds=20, restart_seconds=5)
RESTART_S = 5.0
STAGE_LAG_S = 3.0  # LocalHub(stage_lag_seconds=3), the old stage after a commit (hub-contract §13)
SPACE = f"{LOCAL_USER}/rt"


@pytest.mark.parametrize("old_stage_after_commit", [True, False])
def test_stage_machine_building_app_starting_running_with_lagging_sha(
    local_hub: Any, old_stage_after_commit: bool
) -> None:
    switch(local_hub, runtime_sha=True, old_stage_after_commit=old_stage_after_commit)
    client = api(local_hub)
    client.create_repo(SPACE, repo_type="space", space_sdk="gradio")
    assert client.get_space_runtime(SPACE).stage == "NO_APP_FILE"

    first = make_gradio_space_commit(client, SPACE, GRADIO_APP)
    rt = client.get_space_runtime(SPACE)
    assert rt.stage == "BUILDING"
    assert rt.raw["sha"] != first  # nothing served yet
    assert rt.requested_hardware == "cpu-basic"
    assert rt.hardware is None  # first build: no current hardware yet (as recorded from the Hub)

    advance(local_hub, BUILD_S + 0.5)
    rt = client.get_space_runtime(SPACE)
    assert rt.stage == "APP_STARTING"
    advance(local_hub, RESTART_S)
    rt = client.get_space_runtime(SPACE)
    assert rt.stage == "RUNNING"
    assert rt.raw["sha"] == first
    assert rt.hardware == "cpu-basic"

    # A second commit: the running sha lags the repo sha until the new build finishes.
    second = make_gradio_space_commit(client, SPACE, GRADIO_APP + b"# v2\n")
    rt = client.get_space_runtime(SPACE)
    if old_stage_after_commit:
        assert rt.stage == "RUNNING"  # the old version, for a few seconds (hub-contract §13)
        advance(local_hub, STAGE_LAG_S)
        rt = client.get_space_runtime(SPACE)
    assert rt.stage in ("BUILDING", "RUNNING_BUILDING")
    assert rt.raw["sha"] == first
    assert client.space_info(SPACE).sha == second
    settle(local_hub)
    rt = client.get_space_runtime(SPACE)
    assert rt.stage == "RUNNING"
    assert rt.raw["sha"] == second


def make_gradio_space_commit(client: Any, repo_id: str, app: bytes) -> str:
    info = client.create_commit(
        repo_id,
        [
            CommitOperationAdd(path_in_repo="README.md", path_or_fileobj=GRADIO_README.encode()),
            CommitOperationAdd(path_in_repo="app.py", path_or_fileobj=app),
        ],
        commit_message="update",
        repo_type="space",
    )
    return str(info.oid)


def test_request_space_hardware_requested_then_current(local_hub: Any) -> None:
    client = api(local_hub)
    make_gradio_space(client, SPACE)
    settle(local_hub)
    rt = client.request_space_hardware(SPACE, "t4-small", sleep_time=600)
    assert rt.requested_hardware == "t4-small"
    assert rt.hardware != "t4-small"  # still on the old hardware while the switch happens
    assert rt.sleep_time == 600
    settle(local_hub)
    rt = client.get_space_runtime(SPACE)
    assert rt.stage == "RUNNING"
    assert rt.hardware == "t4-small" and rt.requested_hardware == "t4-small"


def test_set_space_sleep_time(local_hub: Any) -> None:
    client = api(local_hub)
    client.create_repo(SPACE, repo_type="space", space_sdk="gradio", space_hardware="cpu-upgrade")
    rt = client.set_space_sleep_time(SPACE, 900)
    assert rt.sleep_time == 900
    assert client.get_space_runtime(SPACE).sleep_time == 900
    rt = client.set_space_sleep_time(SPACE, -1)
    assert rt.sleep_time is None  # never sleeps: no gcTimeout


def test_pause_and_restart(local_hub: Any) -> None:
    client = api(local_hub)
    sha = make_gradio_space(client, SPACE)
    settle(local_hub)
    assert client.pause_space(SPACE).stage == "PAUSED"
    settle(local_hub)
    assert client.get_space_runtime(SPACE).stage == "PAUSED"  # paused stays paused
    rt = client.restart_space(SPACE)
    assert rt.stage in ("APP_STARTING", "BUILDING")
    settle(local_hub)
    rt = client.get_space_runtime(SPACE)
    assert rt.stage == "RUNNING" and "sha" not in rt.raw  # no runtime sha by default (hub-contract §13)
    assert client.space_info(SPACE).sha == sha


def test_restart_uses_cached_image_but_factory_reboot_rebuilds(local_hub: Any) -> None:
    client = api(local_hub)
    make_gradio_space(client, SPACE)
    settle(local_hub)
    assert client.restart_space(SPACE).stage == "APP_STARTING"  # no rebuild on a plain restart
    settle(local_hub)
    assert client.restart_space(SPACE, factory_reboot=True).stage == "BUILDING"
    advance(local_hub, BUILD_S + 0.5)
    assert client.get_space_runtime(SPACE).stage == "APP_STARTING"
    settle(local_hub)
    assert client.get_space_runtime(SPACE).stage == "RUNNING"
    kinds = [str(e) for e in events(local_hub, SPACE)]
    assert any("factory" in k.lower() for k in kinds), kinds


def test_dev_mode_enable_disable(local_hub: Any) -> None:
    client = api(local_hub)
    make_gradio_space(client, SPACE)
    assert client.enable_space_dev_mode(SPACE).dev_mode is True
    assert client.get_space_runtime(SPACE).dev_mode is True
    assert client.disable_space_dev_mode(SPACE).dev_mode is False
    assert client.get_space_runtime(SPACE).dev_mode is False


def test_list_spaces_hardware_has_unit_costs(local_hub: Any) -> None:
    hardware = api(local_hub).list_spaces_hardware()
    by_name = {h.name: h for h in hardware}
    for flavor in ("cpu-basic", "cpu-upgrade", "t4-small", "a10g-large", "a100-large", "zero-a10g"):
        assert flavor in by_name, flavor
    assert by_name["cpu-basic"].unit_cost_usd == 0
    assert by_name["t4-small"].unit_cost_usd > 0
    assert by_name["t4-small"].unit_cost_micro_usd > 0
    assert by_name["t4-small"].accelerator is not None
    assert by_name["cpu-upgrade"].accelerator is None
    assert all(h.pretty_name and h.cpu and h.ram and h.unit_label for h in hardware)


def test_secrets_are_write_only_and_stored_hashed(local_hub: Any, tmp_path: Any) -> None:
    client = api(local_hub)
    client.create_repo(SPACE, repo_type="space", space_sdk="gradio")
    value = os.environ["CANARY_SECRET"]  # the suite fails if this value lands in any file under tmp_path
    client.add_space_secret(SPACE, "TOKEN", value, description="the token")
    client.add_space_secret(SPACE, "OTHER", value + "-2")
    secrets = client.get_space_secrets(SPACE)
    assert set(secrets) == {"TOKEN", "OTHER"}
    assert secrets["TOKEN"].description == "the token"
    assert secrets["TOKEN"].updated_at is not None
    assert not hasattr(secrets["TOKEN"], "value")
    # Updating keeps one entry and replaces the description.
    client.add_space_secret(SPACE, "TOKEN", value + "-3", description="rotated")
    assert client.get_space_secrets(SPACE)["TOKEN"].description == "rotated"
    client.delete_space_secret(SPACE, "OTHER")
    client.delete_space_secret(SPACE, "NEVER_EXISTED")  # the Hub answers 200 for a missing key
    assert set(client.get_space_secrets(SPACE)) == {"TOKEN"}
    state_bytes = b"".join(p.read_bytes() for p in tmp_path.rglob("*") if p.is_file())
    assert value.encode() not in state_bytes


def test_variables_return_the_full_map(local_hub: Any) -> None:
    client = api(local_hub)
    client.create_repo(SPACE, repo_type="space", space_sdk="gradio")
    assert client.get_space_variables(SPACE) == {}
    after_add = client.add_space_variable(SPACE, "MODE", "prod")
    assert after_add["MODE"].value == "prod"
    after_add = client.add_space_variable(SPACE, "LEVEL", "3", description="verbosity")
    assert set(after_add) == {"MODE", "LEVEL"}
    assert after_add["LEVEL"].description == "verbosity"
    assert after_add["LEVEL"].updated_at is not None
    after_update = client.add_space_variable(SPACE, "MODE", "dev")
    assert after_update["MODE"].value == "dev"
    after_delete = client.delete_space_variable(SPACE, "LEVEL")
    assert set(after_delete) == {"MODE"}
    assert set(client.delete_space_variable(SPACE, "MISSING")) == {"MODE"}
    assert client.get_space_variables(SPACE)["MODE"].value == "dev"


def test_settings_changes_restart_a_running_space(local_hub: Any) -> None:
    """Variables, secrets and volumes restart the Space (DESIGN.md); sleep time does not."""
    client = api(local_hub)
    make_gradio_space(client, SPACE, space_hardware="cpu-upgrade")
    settle(local_hub)
    client.set_space_sleep_time(SPACE, 3600)
    assert client.get_space_runtime(SPACE).stage == "RUNNING"
    client.add_space_variable(SPACE, "A", "1")
    assert client.get_space_runtime(SPACE).stage == "RUNNING"  # the old state, for a few seconds (§13)
    advance(local_hub, STAGE_LAG_S)
    assert client.get_space_runtime(SPACE).stage == "APP_STARTING"
    settle(local_hub)
    assert client.get_space_runtime(SPACE).stage == "RUNNING"


def test_set_and_delete_volumes(local_hub: Any) -> None:
    client = api(local_hub)
    client.create_bucket(f"{LOCAL_USER}/vol")
    client.create_repo(SPACE, repo_type="space", space_sdk="docker")
    client.set_space_volumes(
        SPACE,
        [
            Volume(type="bucket", source=f"{LOCAL_USER}/vol", mount_path="/data"),
            Volume(type="bucket", source=f"{LOCAL_USER}/vol", mount_path="/ro", read_only=True, path="sub"),
        ],
    )
    volumes = client.get_space_runtime(SPACE).volumes
    assert volumes is not None and len(volumes) == 2
    data = next(v for v in volumes if v.mount_path == "/data")
    assert data.type == "bucket" and data.source == f"{LOCAL_USER}/vol" and not data.read_only
    ro = next(v for v in volumes if v.mount_path == "/ro")
    assert ro.read_only is True and ro.path == "sub"
    # Set replaces the whole list.
    client.set_space_volumes(SPACE, [Volume(type="bucket", source=f"{LOCAL_USER}/vol", mount_path="/only")])
    assert [v.mount_path for v in client.get_space_runtime(SPACE).volumes or []] == ["/only"]
    client.delete_space_volumes(SPACE)
    assert not client.get_space_runtime(SPACE).volumes


def test_build_and_run_logs(local_hub: Any) -> None:
    client = api(local_hub)
    make_gradio_space(client, SPACE)
    settle(local_hub)
    t0 = time.monotonic()
    build = list(client.fetch_space_logs(SPACE, build=True))
    run = list(client.fetch_space_logs(SPACE))
    assert time.monotonic() - t0 < 3, "the log streams must close after the backlog (else 5 s each)"
    assert build and all(isinstance(line, str) for line in build)
    assert run and any("Running" in line or "Startup" in line for line in run), run


def test_build_error_marker(local_hub: Any) -> None:
    client = api(local_hub)
    make_gradio_space(client, SPACE, extra_files={"requirements.txt": b"numpy\n# localhub: build-error\n"})
    settle(local_hub)
    rt = client.get_space_runtime(SPACE)
    assert rt.stage == "BUILD_ERROR"
    assert rt.raw.get("errorMessage")
    build = "".join(client.fetch_space_logs(SPACE, build=True))
    assert "requirements.txt" in build and "build-error" in build


def test_runtime_error_marker(local_hub: Any) -> None:
    client = api(local_hub)
    make_gradio_space(client, SPACE, app=GRADIO_APP + b"raise SystemExit(1)  # localhub: runtime-error\n")
    settle(local_hub)
    rt = client.get_space_runtime(SPACE)
    assert rt.stage == "RUNTIME_ERROR"
    assert "runtime-error" in "".join(client.fetch_space_logs(SPACE))


def test_no_app_file(local_hub: Any) -> None:
    client = api(local_hub)
    client.create_repo(SPACE, repo_type="space", space_sdk="gradio")
    client.upload_file(path_or_fileobj=b"# nothing\n", path_in_repo="notes.md", repo_id=SPACE, repo_type="space")
    settle(local_hub)
    assert client.get_space_runtime(SPACE).stage == "NO_APP_FILE"


def test_static_space_runs_without_hardware(local_hub: Any) -> None:
    client = api(local_hub)
    client.create_repo(SPACE, repo_type="space", space_sdk="static")
    client.upload_file(path_or_fileobj=b"<html></html>\n", path_in_repo="index.html", repo_id=SPACE, repo_type="space")
    settle(local_hub)
    rt = client.get_space_runtime(SPACE)
    assert rt.stage == "RUNNING"
    assert rt.hardware is None and rt.requested_hardware is None


def test_restarting_a_static_space_is_a_bad_request(local_hub: Any) -> None:
    """restart_space's own docs: a static Space is always running -> BadRequestError."""
    client = api(local_hub)
    client.create_repo(SPACE, repo_type="space", space_sdk="static")
    client.upload_file(path_or_fileobj=b"<html></html>\n", path_in_repo="index.html", repo_id=SPACE, repo_type="space")
    settle(local_hub)
    with pytest.raises(BadRequestError):
        client.restart_space(SPACE)
    with pytest.raises(BadRequestError):
        client.restart_space(SPACE, factory_reboot=True)
    assert client.get_space_runtime(SPACE).stage == "RUNNING"


def test_wait_for_space_returns_when_build_finishes(local_hub: Any) -> None:
    client = api(local_hub)
    make_gradio_space(client, SPACE)
    polled = threading.Event()

    def finish_build_after_first_poll() -> None:
        # Advance the clock only once the client has polled at least once in BUILDING.
        while route_count(local_hub, "GET /api/spaces/{id}/runtime") < 1:
            polled.wait(0.02)
        settle(local_hub)

    worker = threading.Thread(target=finish_build_after_first_poll, daemon=True)
    worker.start()
    rt = client.wait_for_space(SPACE, timeout=20, poll_interval=0.05)
    worker.join(5)
    assert rt.stage == "RUNNING"
    client.restart_space(SPACE, factory_reboot=True)  # rebuilding, and the clock no longer moves
    with pytest.raises(TimeoutError):
        client.wait_for_space(SPACE, timeout=0.3, poll_interval=0.05)


def test_runtime_of_missing_space(local_hub: Any) -> None:
    with pytest.raises(RepositoryNotFoundError):
        api(local_hub).get_space_runtime(f"{LOCAL_USER}/missing")
