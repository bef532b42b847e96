"""Pydantic validation errors -> diagnostics with positions, plain words and did-you-mean.

Values under spec.secrets are never echoed: a literal there is probably the secret itself.
"""

from __future__ import annotations

import difflib
import types
import typing
from collections.abc import Sequence
from typing import Any, Union

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from reconciler.manifests.context import DocContext, dotted, secret_name
from reconciler.manifests.yaml_positions import Path as NodePath

_TYPE_WORDS = {
    "string_type": "a string",
    "int_type": "an integer",
    "int_from_float": "an integer",
    "bool_type": "true or false",
    "dict_type": "a mapping",
    "model_type": "a mapping",
    "model_attributes_type": "a mapping",
    "list_type": "a list",
    "float_type": "a number",
}


def did_you_mean(word: str, choices: Sequence[str]) -> str | None:
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return close[0] if close else None


def describe(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return f"a {type(value).__name__}"


def _unwrap(annotation: Any) -> list[Any]:
    """The alternatives of an Optional/Union annotation (or the annotation itself)."""
    origin = typing.get_origin(annotation)
    if origin is Union or origin is types.UnionType:
        return [arg for arg in typing.get_args(annotation) if arg is not type(None)]
    return [annotation]


def annotation_at(model: type[BaseModel], path: NodePath) -> Any:
    """The type annotation the model declares at `path` (aliases), or None if unknown."""
    current: Any = model
    for part in path:
        found: Any = None
        for option in _unwrap(current):
            origin = typing.get_origin(option)
            if isinstance(option, type) and issubclass(option, BaseModel) and isinstance(part, str):
                for name, info in option.model_fields.items():
                    if (info.alias or name) == part:
                        found = info.annotation
            elif origin is dict and isinstance(part, str):
                found = typing.get_args(option)[1]
            elif origin is list and isinstance(part, int):
                found = typing.get_args(option)[0]
            if found is not None:
                break
        if found is None:
            return None
        current = found
    return current


def allowed_keys(model: type[BaseModel], path: NodePath) -> list[str]:
    for option in _unwrap(annotation_at(model, path) if path else model):
        if isinstance(option, type) and issubclass(option, BaseModel):
            return [info.alias or name for name, info in option.model_fields.items()]
    return []


def literal_values(model: type[BaseModel], path: NodePath) -> list[str]:
    values: list[str] = []
    for option in _unwrap(annotation_at(model, path)):
        if typing.get_origin(option) is typing.Literal:
            values.extend(str(v) for v in typing.get_args(option))
    return values


def _real_path(data: Any, loc: tuple[int | str, ...], keep_last: bool) -> NodePath:
    """Drop union-member tags pydantic inserts into `loc` ('str', 'list[str]', ...)."""
    path: list[str | int] = []
    current = data
    for index, part in enumerate(loc):
        last = index == len(loc) - 1
        inside_list = isinstance(current, list) and isinstance(part, int) and 0 <= part < len(current)
        if (isinstance(current, dict) and part in current) or inside_list:
            current = current[part]
            path.append(part)
        elif last and keep_last:
            path.append(part)
    return tuple(path)


def _is_secret_path(path: NodePath) -> bool:
    return len(path) >= 2 and path[:2] == ("spec", "secrets")


def _value_at(data: Any, path: NodePath) -> Any:
    for part in path:
        data = data[part]
    return data


def report(ctx: DocContext, model: type[BaseModel], data: Any, error: ValidationError) -> list[NodePath]:
    """Add one diagnostic per validation error; return the paths that failed."""
    failed: list[NodePath] = []
    details = [(d, _real_path(data, tuple(d["loc"]), keep_last=d["type"] == "missing")) for d in error.errors()]
    # A missing key that an unknown key is a misspelling of is one mistake, reported once.
    guessed = {
        (*path[:-1], did_you_mean(str(path[-1]), allowed_keys(model, path[:-1])))
        for detail, path in details
        if detail["type"] == "extra_forbidden"
    }
    for detail, path in details:
        failed.append(path)
        if detail["type"] == "missing" and path in guessed:
            continue
        _one(ctx, model, data, path, detail["type"], detail)
    return failed


def _one(ctx: DocContext, model: type[BaseModel], data: Any, path: NodePath, kind: str, detail: ErrorDetails) -> None:
    where = dotted(path)
    parent = path[:-1]
    if kind == "extra_forbidden":
        keys = allowed_keys(model, parent)
        key = str(path[-1])
        guess = did_you_mean(key, keys)
        message = f"unknown key {key!r} " + (f"in {dotted(parent)}" if parent else "at the top level")
        if guess:
            message += f"; did you mean {guess!r}?"
        hint = None if guess else f"allowed keys: {', '.join(keys)}"
        ctx.error(path, message, hint, key=True)
        return
    if kind == "missing":
        ctx.error(parent, f"missing required key {path[-1]!r}" + (f" in {dotted(parent)}" if parent else ""))
        return
    value = _value_at(data, path)
    secret = _is_secret_path(path)
    if secret and len(path) == 3 and not isinstance(value, (dict, list)):
        name = secret_name(str(path[2]))
        ctx.error(
            path,
            f"secret {name} has a literal value; secrets must not be written in manifests "
            "(they are committed to git and readable by everyone with access to the repository)",
            f"reference where the value lives: `{name}: {{fromEnv: {name}}}` or "
            f"`{name}: {{fromFile: path/inside/repo}}`; treat the committed value as leaked and rotate it",
        )
        return
    if kind == "literal_error":
        choices = literal_values(model, path)
        listed = ", ".join(choices)
        short = len(choices) <= 8
        message = f"{where}: {value!r} is not " + (f"one of {listed}" if short else "a known value")
        guess = did_you_mean(str(value), choices) if isinstance(value, str) else None
        hint = None if short else f"one of: {listed}"
        ctx.error(path, message + (f"; did you mean {guess!r}?" if guess else ""), hint)
        return
    if kind in _TYPE_WORDS:
        message = f"{where}: expected {_TYPE_WORDS[kind]}, got {describe(value)}"
        hint = None
        raw = ctx.parsed.raw.get(path) if ctx.parsed is not None else None
        if kind == "string_type" and raw is not None and not secret:
            hint = f'quote it: YAML reads {raw} as {describe(value)}; write "{raw}"'
        ctx.error(path, message, hint)
        return
    if kind == "string_too_long" and path[-1] == "shortDescription":
        length = len(value) if isinstance(value, str) else 0
        ctx.error(path, f"{where} is {length} characters; the Hub rejects more than 60")
        return
    # Our own PydanticCustomError messages and pydantic's bounds messages carry no input.
    text = detail["msg"]
    ctx.error(path, f"{where}: {text[:1].lower()}{text[1:]}")
