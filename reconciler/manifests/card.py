"""The README.md the Hub sees: front matter generated from the manifest + the app's body."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

import yaml

from reconciler.manifests.schema_models import Card, SpaceSpec
from reconciler.model import OWNERSHIP_TAG, PREVENT_DESTROY_TAG

# Manifest card key (Python name) -> front matter key. The Hub spells most keys in
# snake_case but keeps colorFrom, colorTo and fullWidth in camelCase.
FRONT_MATTER_KEYS: dict[str, str] = {
    "title": "title",
    "emoji": "emoji",
    "color_from": "colorFrom",
    "color_to": "colorTo",
    # sdk and sdk_version come from spec and are inserted here, in this order.
    "python_version": "python_version",
    "app_file": "app_file",
    "app_port": "app_port",
    "base_path": "base_path",
    "full_width": "fullWidth",
    "header": "header",
    "short_description": "short_description",
    "license": "license",
    "pinned": "pinned",
    "thumbnail": "thumbnail",
    "models": "models",
    "datasets": "datasets",
    "tags": "tags",
    "startup_duration_timeout": "startup_duration_timeout",
    "disable_embedding": "disable_embedding",
    "suggested_hardware": "suggested_hardware",
    "suggested_storage": "suggested_storage",
    "hf_oauth": "hf_oauth",
    "hf_oauth_scopes": "hf_oauth_scopes",
    "hf_oauth_expiration_minutes": "hf_oauth_expiration_minutes",
    "hf_oauth_authorized_org": "hf_oauth_authorized_org",
    "preload_from_hub": "preload_from_hub",
    "custom_headers": "custom_headers",
}
# Front matter keys the manifest sets elsewhere than card.<key>: extra must not override them.
MANAGED_KEYS: dict[str, str] = {
    "sdk": "spec.sdk",
    "sdk_version": "spec.sdkVersion",
    **{hub: f"spec.card.{Card.model_fields[name].alias}" for name, hub in FRONT_MATTER_KEYS.items()},
}
DEFAULT_APP_FILE = {"gradio": "app.py", "static": "index.html"}


def app_file(spec: SpaceSpec) -> str | None:
    """The file the Space runs; None for docker (the Dockerfile decides)."""
    return spec.card.app_file or DEFAULT_APP_FILE.get(spec.sdk)


def _lifecycle_tags(spec: SpaceSpec) -> list[str]:
    """Tags that record ownership and preventDestroy on the Hub, where prune and drift see them."""
    tags = [OWNERSHIP_TAG] if spec.lifecycle.ownership_marker else []
    if spec.lifecycle.prevent_destroy:
        tags.append(PREVENT_DESTROY_TAG)
    return tags


def front_matter(spec: SpaceSpec) -> dict[str, Any]:
    """Front matter in a fixed key order, so the generated README is byte-for-byte stable."""
    card = spec.card
    result: dict[str, Any] = {}
    for name, key in FRONT_MATTER_KEYS.items():
        if key == "python_version":
            result["sdk"] = spec.sdk
            if spec.sdk == "gradio" and spec.sdk_version is not None:
                result["sdk_version"] = spec.sdk_version
        value = getattr(card, name)
        if name == "app_file" and spec.sdk == "gradio":
            value = app_file(spec)
        if name == "app_port" and spec.sdk != "docker":
            value = None
        if name == "tags":
            value = [*dict.fromkeys([*(card.tags or ()), *_lifecycle_tags(spec)])] or None
        if value is not None:
            result[key] = list(value) if isinstance(value, list) else value
    for key in sorted(card.extra):
        if key not in result:
            result[key] = card.extra[key]
    return result


def render_readme(card: Mapping[str, Any], body: str) -> bytes:
    """README.md bytes: `---` fenced YAML front matter (keys in the given order) + body."""
    text = "".join(_entry(key, value) for key, value in card.items())
    if body and not body.startswith("\n"):
        body = "\n" + body
    return f"---\n{text}---\n{body}".encode()


_ENTRIES: dict[tuple[str, str], str] = {}
# Used with fullmatch: a "$" anchor would also accept a value ending in a newline.
_PLAIN = re.compile(r"[A-Za-z0-9][A-Za-z0-9 _.,()/+-]{0,200}[A-Za-z0-9)]")
_RESOLVER = yaml.resolver.Resolver()


def _resolves_to_str(value: str) -> bool:
    # "yes", "1.0", "2024-01-01" would be read back as other types: the emitter quotes them.
    tag: str = _RESOLVER.resolve(yaml.ScalarNode, value, (True, False))  # type: ignore[no-untyped-call]
    return tag == "tag:yaml.org,2002:str"


def _entry(key: str, value: Any) -> str:
    """One top-level `key: value` block. A fleet repeats most entries (sdk, colors, tags),
    so each is emitted once and reused: the pure-Python emitter is slow, and the C one
    may be missing on another machine and must not change a single byte."""
    if isinstance(value, str) and _PLAIN.fullmatch(value) and _resolves_to_str(value):
        return f"{key}: {value}\n"  # what the emitter writes for such a string (a test checks)
    cache_key = (key, json.dumps(value, sort_keys=True, default=repr))
    text = _ENTRIES.get(cache_key)
    if text is None:
        text = yaml.safe_dump({key: value}, sort_keys=False, allow_unicode=True, default_flow_style=False, width=10**6)
        if len(_ENTRIES) < 100_000:
            _ENTRIES[cache_key] = text
    return text


def split_front_matter(text: str) -> tuple[dict[str, Any] | None, str]:
    """(front matter mapping or None, body) of a README; unparsable front matter -> None."""
    lines = text.splitlines(keepends=True)
    if not lines or lines[0].rstrip("\r\n") != "---":
        return None, text
    for index in range(1, len(lines)):
        if lines[index].rstrip("\r\n") == "---":
            try:
                data = yaml.safe_load("".join(lines[1:index]))
            except yaml.YAMLError:
                data = None
            return (data if isinstance(data, dict) else {}), "".join(lines[index + 1 :])
    return None, text


def default_body(title: str) -> str:
    return f"\n# {title}\n"
