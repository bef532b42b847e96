"""Rendering a LoadResult as stable text, for golden files and assertions."""

from __future__ import annotations

import json
import os
from pathlib import Path

from reconciler.manifests import LoadResult
from reconciler.model import DesiredSpace


def render_space(space: DesiredSpace, root: Path) -> list[str]:
    def rel(path: str | None) -> str:
        return os.path.relpath(path, root) if path else "-"

    lines = [f"space {space.id} @ {space.source_ref}"]
    settings = {
        "sdk": space.sdk, "sdk_version": space.sdk_version, "hardware": space.hardware,
        "sleep_time": space.sleep_time, "visibility": space.visibility, "dev_mode": space.dev_mode,
        "paused": space.paused, "app_file": space.app_file, "labels": dict(space.labels),
        "variables": dict(space.variables),
        "secrets": {k: f"{'env ' + v.from_env if v.from_env else 'file ' + rel(v.from_file)}"
                    + (" preview" if v.preview else "") for k, v in space.secrets.items()},
        "volumes": [v.model_dump(exclude_none=True) for v in space.volumes],
        "lifecycle": space.lifecycle.model_dump(),
    }  # fmt: skip
    if space.verify is not None:
        settings["verify"] = space.verify.model_dump(mode="json")
    lines.append("  " + json.dumps(settings, sort_keys=True, ensure_ascii=False))
    for file in space.files:
        origin = "generated" if file.content is not None else rel(file.local_path)
        lines.append(f"  file {file.path} {file.blob_id} {file.size} ({origin})")
        if file.path == "README.md" and file.content is not None:
            lines.extend("  | " + line for line in file.content.decode().splitlines())
    return lines


def render(result: LoadResult, root: Path) -> str:
    lines = [str(d) for d in result.diagnostics]
    lines.append(f"-- ok={result.ok} spaces={len(result.spaces)}")
    for space in result.spaces:
        lines.extend(render_space(space, root))
    return "\n".join(lines) + "\n"
