"""Reading secret values at the last moment. Values are returned, never logged or stored."""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping

from reconciler.errors import UserError
from reconciler.files import read_small
from reconciler.model import SecretRef

# A secret is a token or a key, not a document; a fromFile larger than this is refused unread
# past it (a link to /dev/zero would otherwise fill memory).
MAX_SECRET_FILE_BYTES = 1 << 20


def resolve_secret(ref: SecretRef, name: str = "a secret") -> str | None:
    """The secret's value, or None when its environment variable or file is absent.

    A file's content loses one trailing newline (editors add one; a secret rarely ends
    with one). `name` ("acme/demo secret TOKEN") is what an error names, never the value.
    """
    if ref.from_env is not None:
        value = os.environ.get(ref.from_env)
        if value is not None and not _is_utf8(value):
            # Python maps undecodable bytes to lone surrogates; the Hub takes UTF-8 text only.
            raise UserError(f"{name}: the value of ${ref.from_env} is not valid UTF-8 text")
        return value
    assert ref.from_file is not None
    try:
        value = read_small(ref.from_file, MAX_SECRET_FILE_BYTES).decode("utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as problem:
        # Neither the path (where secrets live) nor the exception text (it could carry content).
        raise UserError(f"{name}: cannot read its fromFile: {type(problem).__name__}") from None
    if value.endswith("\r\n"):
        return value[:-2]
    return value[:-1] if value.endswith("\n") else value


def _is_utf8(value: str) -> bool:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def resolve_all(refs: Mapping[str, SecretRef], names: Iterable[str]) -> tuple[dict[str, str], list[str]]:
    """The values of `names` this environment can read, and those it cannot (each with where it
    was looked for, never a value)."""
    values: dict[str, str] = {}
    missing: list[str] = []
    for name in names:
        value = resolve_secret(refs[name])
        if value is None:
            missing.append(f"{name} ({refs[name].describe()})")
        else:
            values[name] = value
    return values, missing
