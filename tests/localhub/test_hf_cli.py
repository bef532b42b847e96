"""The real ``hf`` CLI (huggingface_hub's own) in subprocesses against a live local Hub.

Each command's effect is checked through ``HfApi`` (or its JSON output). Secret values go
through the environment (``-s NAME``), never argv, and must never be echoed back.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from .hubtools import GRADIO_APP, GRADIO_README, HF_BIN, LOCAL_USER, api, reset_stats, stats

SPACE = f"{LOCAL_USER}/cli-space"


@pytest.fixture
def hf(local_hub: Any, tmp_path: Path) -> Any:
    assert HF_BIN.exists(), f"the hf CLI is not installed next to {HF_BIN.parent}"
    home = tmp_path / "cli-hf-home"
    home.mkdir()
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp_path),
        "HF_ENDPOINT": local_hub.endpoint,
        "HF_TOKEN": local_hub.token,
        "HF_HOME": str(home),
        "HF_HUB_DISABLE_TELEMETRY": "1",
        "HF_HUB_DISABLE_UPDATE_CHECK": "1",
        "NO_COLOR": "1",
        "CANARY_SECRET": os.environ.get("CANARY_SECRET", ""),
    }

    def run(
        *args: str, extra_env: dict[str, str] | None = None, timeout: float = 60
    ) -> subprocess.CompletedProcess[str]:
        proc = subprocess.run(
            [str(HF_BIN), *args],
            env={**env, **(extra_env or {})},
            capture_output=True,
            text=True,
            timeout=timeout,
            cwd=tmp_path,
        )
        assert proc.returncode == 0, f"hf {' '.join(args)} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}"
        return proc

    return run


def _json(proc: subprocess.CompletedProcess[str]) -> Any:
    return json.loads(proc.stdout)


def test_hf_repos_create_upload_and_info(hf: Any, local_hub: Any, tmp_path: Path) -> None:
    hf("repos", "create", SPACE, "--type", "space", "--sdk", "gradio", "--private",
       "--flavor", "cpu-upgrade", "--sleep-time", "600", "-e", "MODE=prod")  # fmt: skip
    client = api(local_hub)
    info = client.space_info(SPACE)
    assert info.private is True and info.sdk == "gradio"
    runtime = client.get_space_runtime(SPACE)
    assert runtime.requested_hardware == "cpu-upgrade" and runtime.sleep_time == 600
    assert client.get_space_variables(SPACE)["MODE"].value == "prod"

    folder = tmp_path / "app"
    (folder / "lib").mkdir(parents=True)
    (folder / "README.md").write_text(GRADIO_README)
    (folder / "app.py").write_bytes(GRADIO_APP)
    (folder / "lib" / "util.py").write_text("X = 1\n")
    hf("upload", SPACE, str(folder), ".", "--repo-type", "space", "--commit-message", "from the cli")
    assert {"README.md", "app.py", "lib/util.py"} <= set(client.list_repo_files(SPACE, repo_type="space"))
    head = client.list_repo_commits(SPACE, repo_type="space")[0]
    assert head.title == "from the cli"

    shown = _json(hf("spaces", "info", SPACE, "--json"))
    assert shown["id"] == SPACE
    assert shown["sha"] == head.commit_id
    expanded = _json(hf("spaces", "info", SPACE, "--expand", "sdk,runtime", "--json"))
    assert expanded["sdk"] == "gradio"
    assert expanded["runtime"]["stage"] == "BUILDING"


def test_hf_spaces_settings_secrets_variables_volumes(hf: Any, local_hub: Any) -> None:
    client = api(local_hub)
    client.create_repo(SPACE, repo_type="space", space_sdk="docker")
    client.create_bucket(f"{LOCAL_USER}/cli-bucket")

    hf("spaces", "settings", SPACE, "--hardware", "t4-small", "--sleep-time", "900")
    runtime = client.get_space_runtime(SPACE)
    assert runtime.requested_hardware == "t4-small" and runtime.sleep_time == 900

    secret_value = os.environ["CANARY_SECRET"]  # must never show up in any output or file
    added = hf("spaces", "secrets", "add", SPACE, "-s", "API_TOKEN", extra_env={"API_TOKEN": secret_value})
    assert secret_value not in added.stdout + added.stderr
    assert list(client.get_space_secrets(SPACE)) == ["API_TOKEN"]
    listed = hf("spaces", "secrets", "ls", SPACE, "--json")
    assert "API_TOKEN" in listed.stdout and secret_value not in listed.stdout

    hf("spaces", "variables", "add", SPACE, "-e", "LEVEL=3", "-e", "MODE=dev")
    assert {k: v.value for k, v in client.get_space_variables(SPACE).items()} == {"LEVEL": "3", "MODE": "dev"}
    hf("spaces", "variables", "delete", SPACE, "LEVEL", "--yes")
    assert set(client.get_space_variables(SPACE)) == {"MODE"}

    hf("spaces", "volumes", "set", SPACE, "-v", f"hf://buckets/{LOCAL_USER}/cli-bucket:/data")
    volumes = client.get_space_runtime(SPACE).volumes or []
    assert [(v.type, v.source, v.mount_path) for v in volumes] == [("bucket", f"{LOCAL_USER}/cli-bucket", "/data")]
    shown = hf("spaces", "volumes", "ls", SPACE, "--json")
    assert "/data" in shown.stdout and f"{LOCAL_USER}/cli-bucket" in shown.stdout
    hf("spaces", "volumes", "delete", SPACE, "--yes")
    assert not client.get_space_runtime(SPACE).volumes


@pytest.mark.timeout(600)
@pytest.mark.parametrize("transport", ["xet", "lfs"])
def test_hf_upload_of_images_and_a_50_mb_file(hf: Any, local_hub: Any, tmp_path: Path, transport: str) -> None:
    """`hf upload` through Xet (hf_xet installed: the default) or, with HF_HUB_DISABLE_XET=1, the
    legacy LFS batch API; then `hf download` byte-exact the same way."""
    no_xet = {"HF_HUB_DISABLE_XET": "1"} if transport == "lfs" else {}
    client = api(local_hub)
    reset_stats(local_hub)
    client.create_repo(SPACE, repo_type="space", space_sdk="gradio")
    folder = tmp_path / "media"
    (folder / "images").mkdir(parents=True)
    (folder / "README.md").write_text(GRADIO_README)
    (folder / "app.py").write_bytes(GRADIO_APP)
    images = {f"images/{n}.png": b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR" + bytes([n]) * 300 for n in range(3)}
    for rel, data in images.items():
        (folder / rel).write_bytes(data)
    big = hashlib.sha256()
    with open(folder / "weights.bin", "wb") as out:
        for index in range(50):
            block = hashlib.sha256(str(index).encode()).digest() * 32768  # 1 MiB
            big.update(block)
            out.write(block)
    hf("upload", SPACE, str(folder), ".", "--repo-type", "space", extra_env=no_xet, timeout=300)

    tree = {f.path: f for f in client.list_repo_tree(SPACE, repo_type="space", recursive=True) if hasattr(f, "lfs")}
    assert tree["weights.bin"].lfs is not None and tree["weights.bin"].lfs.sha256 == big.hexdigest()
    assert tree["weights.bin"].size == 50 * 1024 * 1024
    for rel, data in images.items():
        assert tree[rel].lfs is not None and tree[rel].lfs.sha256 == hashlib.sha256(data).hexdigest()
    assert tree["app.py"].lfs is None
    # The route each transport takes, and none of the other's.
    uploads = stats(local_hub)["by_route"]
    xorbs = uploads.get("POST /cas/v1/xorbs/{prefix}/{hash}", 0)
    batch = uploads.get("POST /spaces/{id}/info/lfs/objects/batch", 0)
    assert (xorbs > 0, batch > 0) == ((True, False) if transport == "xet" else (False, True)), uploads
    assert (tree["weights.bin"].xet_hash is not None) == (transport == "xet")

    target = tmp_path / "back"
    hf("download", SPACE, "weights.bin", "images/2.png", "--repo-type", "space", "--local-dir", str(target),
       extra_env=no_xet, timeout=300)  # fmt: skip
    assert (target / "images" / "2.png").read_bytes() == images["images/2.png"]
    again = hashlib.sha256()
    with open(target / "weights.bin", "rb") as handle:
        while block := handle.read(1024 * 1024):
            again.update(block)
    assert again.hexdigest() == big.hexdigest()
