"""End-to-end checks of the local Hub through the real huggingface_hub client."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx2
from huggingface_hub import HfApi

from reconciler.localhub import LocalHub
from reconciler.localhub.admin import admin_headers

SPACE = "local/smoke"
APP = b"import gradio as gr\n\ngr.Interface(fn=str, inputs='text', outputs='text').launch()\n"


def advance(hub: LocalHub, seconds: float) -> None:
    response = httpx2.post(
        f"{hub.endpoint}/_localhub/clock", json={"advance_s": seconds}, headers=admin_headers(hub.token)
    )
    assert response.status_code == 200, response.text


def test_create_upload_list_and_run(local_hub: LocalHub) -> None:
    api = HfApi(endpoint=local_hub.endpoint, token=local_hub.token)
    url = api.create_repo(SPACE, repo_type="space", space_sdk="gradio", space_hardware="t4-small")
    assert url == f"{local_hub.endpoint}/spaces/{SPACE}"
    commit = api.upload_file(path_or_fileobj=APP, path_in_repo="app.py", repo_id=SPACE, repo_type="space")

    runtime = api.get_space_runtime(SPACE)
    assert runtime.stage == "BUILDING" and runtime.hardware is None and runtime.requested_hardware == "t4-small"
    advance(local_hub, 60)
    runtime = api.get_space_runtime(SPACE)
    assert (runtime.stage, runtime.hardware) == ("RUNNING", "t4-small")
    assert api.space_info(SPACE).sha == commit.oid

    [listed] = api.list_spaces(author="local", expand=["sha", "runtime"])
    assert listed.sha == commit.oid and listed.runtime is not None and listed.runtime.stage == "RUNNING"
    assert sorted(api.list_repo_files(SPACE, repo_type="space")) == [".gitattributes", "README.md", "app.py"]
    info = api.space_info(SPACE)
    assert info.card_data is not None and info.card_data.sdk == "gradio" and info.sdk == "gradio"


def test_secret_values_never_reach_the_state_dir(local_hub: LocalHub, tmp_path: Path) -> None:
    api = HfApi(endpoint=local_hub.endpoint, token=local_hub.token)
    api.create_repo(SPACE, repo_type="space", space_sdk="static")
    api.add_space_secret(SPACE, "TOKEN", os.environ["CANARY_SECRET"], description="fingerprint")
    secrets = api.get_space_secrets(SPACE)
    assert secrets["TOKEN"].description == "fingerprint"
    # tests/conftest.py fails the test if the canary shows up in any file under tmp_path.


def test_state_persists_across_a_restart(tmp_path: Path) -> None:
    state = tmp_path / "hub-state"
    with LocalHub(state) as hub:
        api = HfApi(endpoint=hub.endpoint, token=hub.token)
        api.create_repo(SPACE, repo_type="space", space_sdk="gradio", private=True)
        sha = api.upload_file(path_or_fileobj=APP, path_in_repo="app.py", repo_id=SPACE, repo_type="space").oid
        api.add_space_variable(SPACE, "MODE", "prod")
        advance(hub, 3600)
        token = hub.token
    with LocalHub(state) as hub:
        assert hub.token == token
        api = HfApi(endpoint=hub.endpoint, token=hub.token)
        info = api.space_info(SPACE)
        assert info.sha == sha and info.private is True
        assert info.runtime is not None and info.runtime.stage == "RUNNING"
        assert api.get_space_variables(SPACE)["MODE"].value == "prod"
        assert api.hf_hub_download(SPACE, "app.py", repo_type="space", cache_dir=tmp_path / "cache")


def test_hub_serve_command(tmp_path: Path) -> None:
    reconcile = Path(sys.executable).parent / "reconcile"
    state = tmp_path / "served"
    command = [str(reconcile), "hub", "serve", "--port", "0", "--state", str(state), "--build-seconds", "1"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        first = process.stdout.readline()
        endpoint = first.rsplit(" ", 1)[-1].strip()
        assert endpoint.startswith("http://127.0.0.1:"), first
        token = (state / "token").read_text().strip()
        assert token in process.stdout.readline()
        assert HfApi(endpoint=endpoint, token=token).whoami()["name"] == "local"
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=20)
