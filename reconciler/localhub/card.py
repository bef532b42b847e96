"""README.md front matter: parsing it into cardData and the checks the Hub applies to Spaces."""

from __future__ import annotations

import json
from typing import Any

import yaml

SPACE_SDKS = ("gradio", "streamlit", "docker", "static")
COLORS = ("red", "yellow", "green", "blue", "indigo", "purple", "pink", "gray")
SHORT_DESCRIPTION_MAX = 60


class CardError(ValueError):
    """The front matter cannot be used; `messages` lists every problem found."""

    def __init__(self, messages: list[str]) -> None:
        super().__init__("; ".join(messages))
        self.messages = messages


def front_matter_text(readme: str) -> str | None:
    lines = readme.lstrip("\ufeff").splitlines()
    if not lines or lines[0].strip() != "---":
        return None
    for index, line in enumerate(lines[1:], start=1):
        if line.strip() == "---":
            return "\n".join(lines[1:index])
    return None


def parse_card(readme: str) -> dict[str, Any]:
    """The front matter as a dict ({} when there is none); CardError when it is not a YAML mapping."""
    text = front_matter_text(readme)
    if text is None:
        return {}
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as problem:
        raise CardError([f"Invalid YAML in README.md front matter: {problem}"]) from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise CardError(["README.md front matter must be a YAML mapping"])
    # cardData is served as JSON: YAML dates become strings, other key types are refused.
    try:
        card: dict[str, Any] = json.loads(json.dumps({str(k): v for k, v in data.items()}, default=str))
    except (TypeError, ValueError):
        raise CardError(["README.md front matter must only use string keys"]) from None
    return card


def space_card_problems(card: dict[str, Any]) -> list[str]:
    problems = []
    sdk = card.get("sdk")
    if sdk is not None and sdk not in SPACE_SDKS:
        problems.append(f'"sdk" must be one of [{", ".join(SPACE_SDKS)}], got {sdk!r}')
    for key in ("colorFrom", "colorTo"):
        color = card.get(key)
        if color is not None and color not in COLORS:
            problems.append(f'"{key}" must be one of [{", ".join(COLORS)}], got {color!r}')
    short = card.get("short_description")
    if short is not None and (not isinstance(short, str) or len(short) > SHORT_DESCRIPTION_MAX):
        problems.append(f'"short_description" must be a string of at most {SHORT_DESCRIPTION_MAX} characters')
    for key in ("title", "app_file", "emoji"):
        if key in card and not isinstance(card[key], str):
            problems.append(f'"{key}" must be a string')
    port = card.get("app_port")
    if port is not None and (not isinstance(port, int) or isinstance(port, bool) or not 1 <= port <= 65535):
        problems.append('"app_port" must be an integer between 1 and 65535')
    version = card.get("sdk_version")
    if version is not None and not isinstance(version, (str, int, float)):
        problems.append('"sdk_version" must be a version string')
    return problems


def validate_space_readme(readme: str) -> dict[str, Any]:
    """The parsed card of a Space README; CardError listing every problem otherwise."""
    card = parse_card(readme)
    problems = space_card_problems(card)
    if problems:
        raise CardError(problems)
    return card


def version_at_least(version: Any, minimum: tuple[int, ...]) -> bool:
    parts: list[int] = []
    for piece in str(version).split("."):
        digits = "".join(ch for ch in piece if ch.isdigit()) if piece else ""
        if not digits:
            break
        parts.append(int(digits))
        if not piece.isdigit():
            break
    return bool(parts) and tuple(parts) >= minimum


def initial_space_readme(name: str, sdk: str, gradio_version: str) -> str:
    """The README the Hub commits when it creates a Space."""
    lines = ["---", f"title: {name}", "emoji: 🚀", "colorFrom: blue", "colorTo: green", f"sdk: {sdk}"]
    if sdk == "gradio":
        lines += [f"sdk_version: {gradio_version}", "app_file: app.py"]
    lines += [
        "pinned: false",
        "---",
        "",
        "Check out the configuration reference at https://huggingface.co/docs/hub/spaces-config-reference",
        "",
    ]
    return "\n".join(lines)
