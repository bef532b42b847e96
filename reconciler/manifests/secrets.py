"""Reading secret values at the last moment. Values are returned, never logged or stored."""

from __future__ import annotations

import os

from reconciler.errors import UserError
from reconciler.model import SecretRef


def resolve_secret(ref: SecretRef) -> str | None:
    """The secret's value, or None when its environment variable or file is absent.

    A file's content loses one trailing newline (editors add one; a secret rarely ends
    with one).
    """
    if ref.from_env is not None:
        return os.environ.get(ref.from_env)
    assert ref.from_file is not None
    try:
        with open(ref.from_file, encoding="utf-8") as handle:
            value = handle.read()
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as problem:
        # The message names the file only: the exception text could carry content.
        raise UserError(f"cannot read secret file {ref.from_file}: {type(problem).__name__}") from None
    if value.endswith("\r\n"):
        return value[:-2]
    return value[:-1] if value.endswith("\n") else value
