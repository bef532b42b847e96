"""Binary and large files end to end: a gradio Space of real-looking media, through the real
client over HTTP, once with Xet (the client's default) and once with the LFS batch API
(HF_HUB_DISABLE_XET=1). The local Hub stores them as the Hub does (pointer in git, content by
sha256); every check below compares against ids this file computes itself from the bytes."""

from __future__ import annotations

import hashlib
import json
import math
import os
import struct
import wave
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import huggingface_hub.constants
import pytest
from huggingface_hub import CommitOperationAdd, HfApi
from huggingface_hub.hf_api import RepoFile

from reconciler.localhub import LocalHub
from tests.e2e.conftest import run_cli
from tests.reliability.helpers import Admin

SPACE = "local-org/media-demo"
APP = "import gradio as gr\n\ngr.Interface(fn=lambda x: x, inputs='text', outputs='text').launch()\n"
MANIFEST = """\
apiVersion: spaces-reconciler/v1
kind: Space
metadata: {namespace: local-org, name: media-demo}
spec:
  sdk: gradio
  sdkVersion: "6.15.1"
  source: {path: ../app}
  card: {title: Media demo, colorFrom: blue, colorTo: indigo}
"""
# The Space's own .gitattributes covers *.bin only: the PNGs, the WAV and the .onnx get lines.
GITATTRIBUTES = "*.bin filter=lfs diff=lfs merge=lfs -text\n*.py text eol=lf\n"
GITIGNORE = "*.log\n__pycache__/\n"
ODD_NAME = "examples/café photo 1.png"
BIN = "models/weights.bin"
LFS_FILES = ("assets/logo.png", "assets/audio/chime.wav", BIN, "models/encoder.onnx", ODD_NAME)


def png(width: int, height: int, seed: int) -> bytes:
    """A valid RGB PNG (signature, IHDR, IDAT, IEND), so the bytes look like what Spaces hold."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(
        b"\0" + bytes(v for x in range(width) for v in ((x * 7 + y * 3 + seed) % 256, (x ^ y) % 256, (seed + y) % 256))
        for y in range(height)
    )
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


def wav(path: Path, seconds: float = 0.5, rate: int = 16_000) -> None:
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        frames = (int(12_000 * math.sin(2 * math.pi * 440 * i / rate)) for i in range(int(seconds * rate)))
        out.writeframes(b"".join(struct.pack("<h", f) for f in frames))


def git_blob(data: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def pointer(data: bytes) -> bytes:
    return (
        f"version https://git-lfs.github.com/spec/v1\noid sha256:{hashlib.sha256(data).hexdigest()}\nsize {len(data)}\n"
    ).encode()


def write_media_space(root: Path) -> Path:
    """A repository root with manifests/media.yaml and the app folder; returns the app folder."""
    (root / ".git").mkdir(parents=True)
    (root / "manifests").mkdir()
    (root / "manifests" / "media.yaml").write_text(MANIFEST)
    app = root / "app"
    for folder in ("assets/audio", "models", "examples", "__pycache__"):
        (app / folder).mkdir(parents=True)
    (app / "app.py").write_text(APP)
    (app / ".gitattributes").write_text(GITATTRIBUTES)
    (app / ".gitignore").write_text(GITIGNORE)
    (app / "assets" / "logo.png").write_bytes(png(64, 48, 1))
    wav(app / "assets" / "audio" / "chime.wav")
    (app / BIN).write_bytes(os.urandom(12 * 1024 * 1024))
    (app / "models" / "encoder.onnx").write_bytes(b"\x08\x07\x12\x07pytorch\0" + os.urandom(4096))
    (app / ODD_NAME).write_bytes(png(16, 16, 9))
    (app / "examples" / "empty.txt").write_bytes(b"")
    (app / "debug.log").write_text("left out by .gitignore\n")
    (app / "__pycache__" / "app.cpython-311.pyc").write_bytes(b"\x0d\x0d\r\n" + os.urandom(64))
    return app


@pytest.fixture(params=["xet", "lfs"])
def transport(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """The client's upload path: Xet (hf_xet installed, the default) or the LFS batch API."""
    if request.param == "lfs":
        monkeypatch.setenv("HF_HUB_DISABLE_XET", "1")
        # huggingface_hub reads the variable once, at import.
        monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_DISABLE_XET", True)
    return str(request.param)


@pytest.fixture
def media(hub: LocalHub, transport: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    root = tmp_path / "repo"
    app = write_media_space(root)
    monkeypatch.chdir(root)
    yield app


def api(hub: LocalHub) -> HfApi:
    return HfApi(endpoint=hub.endpoint, token=hub.token)


def admin(hub: LocalHub, method: str, path: str, body: Any = None) -> Any:
    return Admin(hub).call(method, path, body)


def plan_json() -> dict[str, Any]:
    result = run_cli("plan", "--format", "json")
    assert result.code == 0, result.output
    (entry,) = json.loads(result.stdout)["spaces"]
    return dict(entry)


def assert_converged() -> None:
    again = run_cli("plan", "--detailed-exitcode")
    assert again.code == 0, again.output


def apply_ok(*args: str) -> None:
    result = run_cli("apply", "--auto-approve", "--timeout", "60s", *args)
    assert result.code == 0, result.output


def commits(hub: LocalHub) -> int:
    return len(api(hub).list_repo_commits(SPACE, repo_type="space"))


def tree(hub: LocalHub) -> dict[str, RepoFile]:
    items = api(hub).list_repo_tree(SPACE, repo_type="space", recursive=True)
    return {item.path: item for item in items if isinstance(item, RepoFile)}


def test_media_space_plan_apply_plan_is_empty(hub: LocalHub, media: Path) -> None:
    validated = run_cli("validate")
    assert validated.code == 0 and "[gitignored-files]" in validated.output, validated.output
    assert "__pycache__/app.cpython-311.pyc, debug.log" in validated.output

    planned = plan_json()
    assert planned["rung"] == "create"
    assert "debug.log" not in {f["path"] for f in planned["files"]["added"]}
    apply_ok()
    assert_converged()

    before = commits(hub)
    admin(hub, "POST", "stats/reset")
    apply_ok()  # a second apply writes nothing
    assert commits(hub) == before
    assert not [r for r in admin(hub, "GET", "stats")["by_route"] if r.startswith(("POST", "PUT", "DELETE"))
                and "preupload" not in r and "paths-info" not in r]  # fmt: skip

    files = tree(hub)
    for path in LFS_FILES:
        data = (media / path).read_bytes()
        entry = files[path]
        assert entry.lfs is not None, f"{path} is not stored with LFS"
        assert (entry.blob_id, entry.size) == (git_blob(pointer(data)), len(data))
        assert (entry.lfs.sha256, entry.lfs.size, entry.lfs.pointer_size) == (
            hashlib.sha256(data).hexdigest(),
            len(data),
            len(pointer(data)),
        )
    assert files["app.py"].lfs is None and files["app.py"].blob_id == git_blob(APP.encode())
    assert files["examples/empty.txt"].lfs is None and files["examples/empty.txt"].size == 0
    assert "debug.log" not in files and not any(p.startswith("__pycache__/") for p in files)
    # The Hub had nothing to append to the Space's own .gitattributes: it is the one we sent.
    attributes = Path(api(hub).hf_hub_download(SPACE, ".gitattributes", repo_type="space")).read_text()
    assert attributes.startswith(GITATTRIBUTES)
    assert "examples/café[[:space:]]photo[[:space:]]1.png filter=lfs" in attributes
    assert files[".gitattributes"].blob_id == git_blob(attributes.encode())


def test_app_py_edit_is_a_hot_reload_next_to_media(hub: LocalHub, media: Path) -> None:
    apply_ok()
    (media / "app.py").write_text(APP + "# tweak\n")
    entry = plan_json()
    assert entry["rung"] == "hot-reload", entry["reasons"]
    assert [f["path"] for f in entry["files"]["modified"]] == ["app.py"]
    apply_ok()
    assert_converged()


def test_a_reviewed_plan_next_to_media_applies_and_a_hand_change_makes_it_stale(hub: LocalHub, media: Path) -> None:
    apply_ok()
    (media / "app.py").write_text(APP + "# reviewed\n")
    planned = run_cli("plan", "--out", "plan.json")
    assert planned.code in (0, 2), planned.output
    (entry,) = json.loads(Path("plan.json").read_text())["spaces"]
    assert (entry["rung"], [f["path"] for f in entry["files"]["modified"]]) == ("hot-reload", ["app.py"])
    applied = run_cli("apply", "--plan", "plan.json", "--timeout", "60s")
    assert applied.code == 0 and "stale" not in applied.output, applied.output
    assert_converged()
    # A media file changed by hand after the review: the plan no longer describes the Hub.
    (media / "app.py").write_text(APP + "# reviewed twice\n")
    assert run_cli("plan", "--out", "plan.json").code in (0, 2)
    api(hub).upload_file(
        path_or_fileobj=png(64, 48, 6), path_in_repo="assets/logo.png", repo_id=SPACE, repo_type="space"
    )
    refused = run_cli("apply", "--plan", "plan.json", "--timeout", "60s")
    assert refused.code == 1 and "changed on the Hub since the plan was made" in refused.output, refused.output


def test_changed_bin_uploads_that_file_only(hub: LocalHub, media: Path) -> None:
    apply_ok()
    (media / BIN).write_bytes(os.urandom(12 * 1024 * 1024))
    entry = plan_json()
    assert (entry["rung"], [f["path"] for f in entry["files"]["modified"]]) == ("upload", [BIN])
    admin(hub, "POST", "stats/reset")
    apply_ok()
    sent = admin(hub, "GET", "stats")["bytes_total"]
    size = (media / BIN).stat().st_size
    # That file's bytes (plus framing), not the other media again (about 20 KB more would show).
    assert size <= sent < size + 16_384, sent
    assert_converged()


def test_png_replaced_by_hand_is_reported_by_drift(hub: LocalHub, media: Path) -> None:
    apply_ok()
    api(hub).upload_file(
        path_or_fileobj=png(64, 48, 2), path_in_repo="assets/logo.png", repo_id=SPACE, repo_type="space"
    )
    result = run_cli("drift", "--format", "json", "--detailed-exitcode")
    assert result.code == 2, result.output
    (entry,) = json.loads(result.stdout)["spaces"]
    assert entry["status"] == "drifted"
    files = entry["detail"]["files"]
    assert [f["path"] for f in files["modified"]] == ["assets/logo.png"]
    assert not files["added"] and not files["deleted"]


def test_lost_commit_response_with_lfs_files_is_no_failure_and_no_duplicate(hub: LocalHub, media: Path) -> None:
    apply_ok()
    (media / "assets" / "logo.png").write_bytes(png(64, 48, 3))
    (media / BIN).write_bytes(os.urandom(12 * 1024 * 1024))
    before = commits(hub)
    admin(hub, "POST", "faults", {"drop_response_rate": 1.0, "routes": ["POST /api/spaces/{id}/commit/{rev}"]})
    try:
        result = run_cli("apply", "--auto-approve", "--timeout", "60s")
    finally:
        admin(hub, "POST", "faults", {})
    assert result.code == 0, result.output
    assert "changed since it was observed" not in result.output
    assert commits(hub) == before + 1
    assert_converged()


def test_rollback_restores_lfs_content_byte_exact(hub: LocalHub, media: Path) -> None:
    apply_ok()
    original = (media / "assets" / "logo.png").read_bytes()
    (media / "assets" / "logo.png").write_bytes(png(64, 48, 4))
    (media / "app.py").write_text(APP + "# localhub: runtime-error\n")
    result = run_cli("apply", "--auto-approve", "--timeout", "60s", "--rollback-on-failure")
    assert result.code == 1 and "rollback commit" in result.output, result.output
    restored = Path(api(hub).hf_hub_download(SPACE, "assets/logo.png", repo_type="space", force_download=True))
    assert restored.read_bytes() == original
    entry = tree(hub)["assets/logo.png"]
    assert entry.lfs is not None and entry.lfs.sha256 == hashlib.sha256(original).hexdigest()


def test_import_of_a_space_with_lfs_files_then_plan_is_empty(hub: LocalHub, transport: str, tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    client = api(hub)
    space = "local-org/hand-media"
    client.create_repo(space, repo_type="space", space_sdk="gradio")
    content = {
        "app.py": APP.encode(),
        "assets/logo.png": png(32, 32, 5),
        "weights/model.safetensors": os.urandom(2 * 1024 * 1024),
        "notes/read me.txt": b"plain text, kept as a git blob\n",
        "README.md": b"---\ntitle: hand media\nsdk: gradio\nsdk_version: 6.15.1\napp_file: app.py\n---\n\n# hi\n",
    }
    client.create_commit(
        space,
        [CommitOperationAdd(path_in_repo=p, path_or_fileobj=c) for p, c in content.items()],
        repo_type="space",
        commit_message="by hand",
    )
    stored = {i.path: i for i in client.list_repo_tree(space, repo_type="space", recursive=True)}
    assert isinstance(stored["assets/logo.png"], RepoFile) and stored["assets/logo.png"].lfs is not None
    workspace = tmp_path / "adopted"
    (workspace / ".git").mkdir(parents=True)
    monkeypatch.chdir(workspace)
    assert run_cli("import", space).code == 0
    folder = workspace / "manifests" / "apps" / "hand-media"
    for path, data in content.items():
        if path != "README.md":
            assert (folder / path).read_bytes() == data, path
    plan = run_cli("plan", "--detailed-exitcode")
    assert plan.code == 0, plan.output


def test_apply_into_a_log_shows_no_client_progress_bars(hub: LocalHub, media: Path) -> None:
    # In CI, stderr is a log file: huggingface_hub's and hf_xet's upload bars would fill it with
    # hundreds of redrawn lines per Space (seen in a job log). On a terminal they stay.
    result = run_cli("apply", "--auto-approve", "--timeout", "60s")
    assert result.code == 0, result.output
    assert "committing 10 file(s)" in result.stderr, result.stderr
    assert "%|" not in result.stderr and "Processing Files" not in result.stderr, result.stderr
