"""Secret fingerprints: detect a changed secret value without ever reading it back.

Secret values are write-only on the Hub. When the reconciler writes a secret it puts a
keyed fingerprint (HMAC-SHA256 with RECONCILE_FINGERPRINT_KEY) and the write time in the
secret's description. A later plan compares the fingerprint of the value it would write
with the recorded one. The space id and key are part of the HMAC message so equal values
in different Spaces do not give equal fingerprints. Values never leave this module.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
from dataclasses import dataclass

from reconciler.errors import UserError

FINGERPRINT_KEY_ENV = "RECONCILE_FINGERPRINT_KEY"
_MARK = re.compile(r"spaces-reconciler fp=([0-9a-f]{32}) t=(\d+)")


@dataclass(frozen=True)
class Recorded:
    """What a description written by the reconciler tells: the fingerprint and the write time."""

    fingerprint: str
    written_at: int


def fingerprint_key() -> bytes | None:
    value = os.environ.get(FINGERPRINT_KEY_ENV)
    if not value:
        return None
    try:
        return value.encode()
    except UnicodeEncodeError:  # undecodable bytes in the environment (lone surrogates)
        raise UserError(f"${FINGERPRINT_KEY_ENV} is not valid UTF-8 text") from None


def fingerprint(key: bytes, space_id: str, name: str, value: str) -> str:
    message = f"{space_id}\0{name}\0{value}".encode()
    # hmac.digest is the one-shot C path: the same HMAC-SHA256, without building an HMAC object.
    return hmac.digest(key, message, hashlib.sha256).hex()[:32]


def describe(fp: str | None, written_at: int) -> str:
    """The description written with a secret. Without a key only ownership is recorded."""
    if fp is None:
        return "managed by spaces-reconciler"
    return f"managed by spaces-reconciler fp={fp} t={written_at}"


def parse(description: str | None) -> Recorded | None:
    match = _MARK.search(description or "")
    if not match:
        return None
    return Recorded(match.group(1), int(match.group(2)))


def description_for(space_id: str, name: str, value: str, now: int) -> str:
    """The description written with a secret: its fingerprint when a key is set, else ownership only."""
    key = fingerprint_key()
    return describe(fingerprint(key, space_id, name, value) if key else None, now)
