"""Last line of defence for what the action publishes (comments, issues, summaries, outputs).

Reconciler output never contains a secret value by construction; this also removes any value
of a manifest secret that reaches a published text by another way (an app that prints its
token into the build log that an apply summary quotes). GitHub only masks values that came
from `secrets.*`, in logs, and never in comments or issues written through the API.
"""

from __future__ import annotations

from collections.abc import Iterable

from reconciler.manifests import resolve_secret
from reconciler.model import DesiredSpace

MASK = "***"
# Shorter values would mask ordinary words and numbers; such a secret is not worth keeping anyway.
MIN_LENGTH = 4


class Redactor:
    def __init__(self, values: Iterable[str] = ()) -> None:
        # A multi-line value (a key file) is also masked line by line, as logs split it.
        pieces = {piece for value in values for piece in (value, *value.splitlines())}
        # Longest first, so a value that contains another is masked whole.
        self._values = sorted({p for p in pieces if len(p.strip()) >= MIN_LENGTH}, key=len, reverse=True)

    @classmethod
    def for_spaces(cls, spaces: Iterable[DesiredSpace]) -> Redactor:
        values = []
        for space in spaces:
            for ref in space.secrets.values():
                value = resolve_secret(ref)
                if value:
                    values.append(value)
        return cls(values)

    def __call__(self, text: str) -> str:
        for value in self._values:
            text = text.replace(value, MASK)
        return text
