"""Does a smoke call's output meet its expectation? Pure: the output as gradio_client returns it
(a value, a tuple for several outputs, a local file path for a file output)."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from typing import Any

from reconciler.model import Expectation, ExpectKind
from reconciler.verify.outcomes import Evidence, Problem
from reconciler.verify.sniff import kind_of, read_head

PREVIEW = 200
_TYPES: dict[str, tuple[type, ...]] = {
    "str": (str,),
    "int": (int,),
    "float": (float,),
    "bool": (bool,),
    "list": (list, tuple),
    "dict": (dict,),
}


def describe(expect: Expectation | None) -> str | None:
    if expect is None:
        return None
    return f"{expect.kind.value} {json.dumps(expect.value, sort_keys=True)}"


def judge(expect: Expectation | None, output: Any) -> tuple[Problem | None, Evidence]:
    """(None, _) when the output meets `expect`; else the problem and its evidence."""
    if expect is None:
        return None, Evidence()
    if expect.kind is ExpectKind.MIME:
        return _file_kind(str(expect.value), output)
    plain = _plain(output)
    if expect.kind is ExpectKind.CONTAINS:
        text = plain if isinstance(plain, str) else json.dumps(plain, sort_keys=True, default=str)
        ok = str(expect.value) in text
    elif expect.kind is ExpectKind.EQUALS:
        ok = plain == _plain(expect.value)
    elif expect.kind is ExpectKind.JSON:
        ok = subset(expect.value, _as_json(plain))
    else:
        ok = type_matches(str(expect.value), plain)
    return (None, Evidence()) if ok else (Problem.MISMATCH, Evidence(preview=preview(output)))


def _file_kind(wanted: str, output: Any) -> tuple[Problem | None, Evidence]:
    path = _file_path(output)
    if path is None:
        return Problem.NOT_A_FILE, Evidence(preview=preview(output))
    head = read_head(path)
    found = kind_of(head)
    if found == wanted:
        return None, Evidence(output_kind=found)
    return Problem.WRONG_KIND, Evidence(output_kind=found, head_hex=head.hex(" "))


def _file_path(output: Any) -> str | None:
    """The first output that is a file on disk (gradio_client downloads file outputs)."""
    if isinstance(output, str) and os.path.isfile(output):
        return output
    if isinstance(output, Mapping):
        for key in ("path", "name"):
            value = output.get(key)
            if isinstance(value, str) and os.path.isfile(value):
                return value
        return None
    if isinstance(output, (list, tuple)):
        for item in output:
            if (found := _file_path(item)) is not None:
                return found
    return None


def _plain(value: Any) -> Any:
    """Tuples as lists, so YAML's lists compare equal to gradio_client's tuples."""
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    return value


def _as_json(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            return value
    return value


def subset(expected: Any, actual: Any) -> bool:
    """Every key of `expected` is in `actual` with a matching value (recursively for mappings;
    lists must be equal, element by element as subsets)."""
    if isinstance(expected, Mapping):
        return isinstance(actual, Mapping) and all(k in actual and subset(v, actual[k]) for k, v in expected.items())
    if isinstance(expected, list):
        return isinstance(actual, list) and len(actual) == len(expected) and all(map(subset, expected, actual))
    return bool(expected == actual and type(expected) is type(actual)) or (
        isinstance(expected, (int, float))
        and isinstance(actual, (int, float))
        and not isinstance(expected, bool)
        and not isinstance(actual, bool)
        and expected == actual
    )


def type_matches(name: str, value: Any) -> bool:
    if name == "null":
        return value is None
    if isinstance(value, bool) and name != "bool":
        return False
    return isinstance(value, _TYPES[name])


def preview(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(_plain(value), sort_keys=True, default=str)
    return text if len(text) <= PREVIEW else text[:PREVIEW] + "…"
