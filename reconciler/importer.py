"""Adopt a live Space: ObservedSpace -> a manifest document that reproduces it. Pure.

Secrets become `fromEnv` references named after their keys (values are unknowable).
Spaces made by hand get `lifecycle.ownershipMarker: false`: the tool did not create them, so
`--prune` never deletes them. A Space that carries the tool's marker keeps it (the default),
and its prevent-destroy tag becomes `lifecycle.preventDestroy: true`; neither tag is left in
`card.tags`. The front matter lives in the manifest's `card`: the app folder's README.md keeps
only its body whenever the manifest regenerates the Hub's README byte for byte (otherwise the
README is kept whole, so the next plan stays empty). Every file path the Hub names is checked
here before anything is written (`destination_problems`).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml

from reconciler.manifests.card import FRONT_MATTER_KEYS, front_matter, render_readme, split_front_matter
from reconciler.manifests.schema_models import Card, Space
from reconciler.model import DEFAULT_HARDWARE, OWNERSHIP_TAG, PREVENT_DESTROY_TAG, ObservedSpace

# Front matter key -> manifest card key (camelCase), the inverse of the loader's mapping.
CARD_KEYS = {hub: Card.model_fields[name].alias or name for name, hub in FRONT_MATTER_KEYS.items()}
SPEC_KEYS = {"sdk", "sdk_version"}
# Tags the manifest writes from `lifecycle` (card.py), never from `card.tags`.
LIFECYCLE_TAGS = frozenset({OWNERSHIP_TAG, PREVENT_DESTROY_TAG})


def card_from_front_matter(front: dict[str, Any]) -> dict[str, Any]:
    card: dict[str, Any] = {}
    extra: dict[str, Any] = {}
    for key, value in front.items():
        if key in SPEC_KEYS:
            continue
        if key == "tags":
            value = [tag for tag in value or () if tag not in LIFECYCLE_TAGS]
            if not value:
                continue
        if key in CARD_KEYS:
            card[CARD_KEYS[key]] = value
        else:
            extra[key] = value
    if extra:
        card["extra"] = extra
    return card


def manifest_for(observed: ObservedSpace, source_path: str) -> dict[str, Any]:
    namespace, name = observed.id.split("/", 1)
    spec: dict[str, Any] = {"sdk": observed.sdk or observed.card.get("sdk") or "gradio"}
    if observed.card.get("sdk_version"):
        spec["sdkVersion"] = Quoted(observed.card["sdk_version"])
    if observed.hardware and observed.hardware != DEFAULT_HARDWARE:
        spec["hardware"] = observed.hardware
    if observed.sleep_time is not None:
        spec["sleepTime"] = observed.sleep_time
    if observed.visibility != "public":
        spec["visibility"] = observed.visibility
    if observed.dev_mode:
        spec["devMode"] = True
    if observed.paused:
        spec["paused"] = True
    if observed.variables:
        spec["variables"] = {key: v.value for key, v in sorted(observed.variables.items())}
    if observed.secrets:
        spec["secrets"] = {key: {"fromEnv": key} for key in sorted(observed.secrets)}
    if observed.volumes:
        spec["volumes"] = [{k: x for k, x in v.manifest_view().items() if x is not None} for v in observed.volumes]
    spec["source"] = {"path": source_path}
    card = card_from_front_matter(dict(observed.card))
    if card:
        spec["card"] = card
    lifecycle: dict[str, Any] = {}
    if PREVENT_DESTROY_TAG in (observed.card.get("tags") or ()):
        lifecycle["preventDestroy"] = True
    if not observed.managed:
        lifecycle["ownershipMarker"] = False
    if lifecycle:
        spec["lifecycle"] = lifecycle
    return {
        "apiVersion": "spaces-reconciler/v1",
        "kind": "Space",
        "metadata": {"namespace": namespace, "name": name},
        "spec": spec,
    }


class Quoted(str):
    """A string written double-quoted: versions, which YAML would otherwise read as numbers
    (README: `sdkVersion: "6.15.1"`; unquoted 6.10 is the float 6.1)."""


class _Dumper(yaml.SafeDumper):
    pass


def _quoted(dumper: yaml.SafeDumper, value: Quoted) -> yaml.ScalarNode:
    return dumper.represent_scalar("tag:yaml.org,2002:str", str(value), style='"')


_Dumper.add_representer(Quoted, _quoted)


def dump_manifest(document: dict[str, Any], schema_path: str) -> str:
    header = f"# yaml-language-server: $schema={schema_path}\n# Imported from the Hub by `reconcile import`.\n"
    body = yaml.dump(
        document, Dumper=_Dumper, sort_keys=False, allow_unicode=True, default_flow_style=False, width=1_000_000
    )
    return header + body


def source_readme(hub_readme: bytes, document: dict[str, Any]) -> bytes | None:
    """The README.md to keep in the app folder: the body alone when the manifest's card
    regenerates exactly `hub_readme`; None to keep the Hub's file as it is."""
    try:
        text = hub_readme.decode("utf-8")
        spec = Space.model_validate(document).spec
    except (UnicodeDecodeError, ValueError):
        return None
    front, body = split_front_matter(text)
    if front is None or render_readme(front_matter(spec), body) != hub_readme:
        return None
    return body.encode("utf-8")


# ------------------------------------------------------------------ remote paths
# The Hub names the files `import` writes: a hostile or broken Hub must not make it write
# outside the Space's folder, into a .git, or anywhere a later `git add` would not expect.
_DRIVE = re.compile(r"^[A-Za-z]:")


def remote_path_problem(path: str) -> str | None:
    """Why a file path from the Hub may not be written under the import folder, or None."""
    if not path:
        return "is empty"
    if "\\" in path:
        return "contains a backslash"
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in path):
        return "contains a control character"
    if path.startswith("/") or _DRIVE.match(path):
        return "is absolute"
    parts = path.split("/")
    if any(part in ("", ".", "..") for part in parts):
        return "has an empty, '.' or '..' component"
    if any(part.casefold() == ".git" for part in parts):
        return "is inside a .git"
    return None


def destination_problems(space_id: str, paths: Iterable[str], folder: Path) -> list[str]:
    """One message per path that cannot be written under `folder` (existing symlinks included)."""
    problems = []
    root = os.path.realpath(folder)
    for path in sorted(paths):
        why = remote_path_problem(path)
        if why is None and not _inside(os.path.realpath(folder / path), root):
            why = "would be written outside the folder (through a symlink already there)"
        if why is not None:
            problems.append(f"{space_id}: the Hub lists the file {path!r}, which {why}")
    return problems


def _inside(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)
