"""Builders for desired and observed Spaces in pure tests (no Hub, no files)."""

from __future__ import annotations

import hashlib
from typing import Any

from reconciler.errors import Location
from reconciler.model import (
    OWNERSHIP_TAG,
    DesiredSpace,
    ObservedSecret,
    ObservedSpace,
    ObservedVariable,
    RemoteFile,
    SecretRef,
    SourceFile,
)


def blob(content: str) -> str:
    data = content.encode()
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def sha256(content: str) -> str:
    return hashlib.sha256(content.encode()).hexdigest()


DEFAULT_FILES = {"app.py": "print('hi')\n", "README.md": "---\nsdk: gradio\n---\n# demo\n"}


def desired(space_id: str = "acme/demo", files: dict[str, str] | None = None, **spec: Any) -> DesiredSpace:
    contents = DEFAULT_FILES if files is None else files
    sources = tuple(
        SourceFile(path=p, blob_id=blob(c), sha256=sha256(c), size=len(c.encode()), content=c.encode())
        for p, c in sorted(contents.items())
    )
    defaults: dict[str, Any] = {
        "sdk": "gradio",
        "sdk_version": "6.15.1",
        "card": {"sdk": "gradio", "sdk_version": "6.15.1", "tags": [OWNERSHIP_TAG]},
    }
    defaults.update(spec)
    secrets = {
        k: v if isinstance(v, SecretRef) else SecretRef(from_env=v) for k, v in defaults.pop("secrets", {}).items()
    }
    return DesiredSpace(
        id=space_id,
        source_ref=Location(file="manifests/demo.yaml", line=1, col=1),
        files=sources,
        secrets=secrets,
        **defaults,
    )


def observed_like(space: DesiredSpace, **changes: Any) -> ObservedSpace:
    """The Hub state that exactly matches `space` (as if just applied), then `changes` on top."""
    state: dict[str, Any] = {
        "id": space.id,
        "sha": "a" * 40,
        "sdk": space.sdk,
        "visibility": space.visibility,
        "stage": "PAUSED" if space.paused else "RUNNING",
        "hardware": space.hardware,
        "hardware_current": space.hardware,
        "sleep_time": space.sleep_time,
        "dev_mode": space.dev_mode,
        "variables": {k: ObservedVariable(value=v) for k, v in space.variables.items()},
        "secrets": {k: ObservedSecret(description="managed by spaces-reconciler") for k in space.secrets},
        "volumes": space.volumes,
        "card": dict(space.card),
        "files": tuple(RemoteFile(path=f.path, blob_id=f.blob_id, size=f.size) for f in space.files),
    }
    state.update(changes)
    return ObservedSpace(**state)


def remote_files(files: dict[str, str]) -> tuple[RemoteFile, ...]:
    return tuple(RemoteFile(path=p, blob_id=blob(c), size=len(c.encode())) for p, c in sorted(files.items()))
