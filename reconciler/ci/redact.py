"""The one redaction every writer of the action goes through: stdout, stderr, log records, the
files it writes (state, results, artifacts, the step summary and outputs) and every body sent to
the GitHub API.

Reconciler output never contains a secret value by construction; this removes any value of a
manifest secret (and the run's own credentials) that reaches a written text by another way: an
app that prints its token into the build log that an apply summary quotes. GitHub only masks
values that came from `secrets.*`, in logs, and never in comments or issues written through
the API.

Order matters: raw values are masked in the data first, before any escaping or serialisation
(markdown escaping of `Sup3r$ecret!` gives `Sup3r\\$ecret\\!`, which a mask of the raw value no
longer finds). As a second net, written text is also searched for every escaped form a writer
could have produced: JSON, URL, HTML, markdown and workflow-command escaping.
"""

from __future__ import annotations

import contextlib
import html
import json
import logging
import re
import sys
import urllib.parse
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any, TextIO

from reconciler.manifests import resolve_secret
from reconciler.manifests.gitignored import Ignores, written_in_the_repository
from reconciler.model import DesiredSpace
from reconciler.render._markdown import md_code, md_text

MASK = "***"
# Shorter values would mask ordinary words and numbers; such a secret is not worth keeping anyway.
MIN_LENGTH = 4
# The run's own credentials, masked like manifest secrets.
CREDENTIALS = (
    "INPUT_HF_TOKEN",
    "HF_TOKEN",
    "INPUT_GITHUB_TOKEN",
    "GITHUB_TOKEN",
    "RECONCILE_FINGERPRINT_KEY",
    "ACTIONS_ID_TOKEN_REQUEST_TOKEN",
    "ACTIONS_RUNTIME_TOKEN",
)
_PUNCTUATION = re.compile(r"([!-/:-@\[-`{-~])")


def _workflow_escape(text: str) -> str:
    # What an `::error::` annotation line does to a message (reconciler.ci.summary).
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _forms(value: str) -> set[str]:
    """The value as each writer could have written it."""
    return {
        value,
        json.dumps(value)[1:-1],
        json.dumps(value, ensure_ascii=False)[1:-1],
        urllib.parse.quote(value, safe=""),
        urllib.parse.quote(value),
        urllib.parse.quote_plus(value),
        html.escape(value),
        html.escape(value, quote=False),
        md_text(value),
        md_code(value).strip("` "),
        value.replace("|", "\\|"),
        _PUNCTUATION.sub(r"\\\1", value),  # markdown backslash-escaping of every punctuation mark
        _workflow_escape(value),
    }


class Redactor:
    def __init__(self, values: Iterable[str] = ()) -> None:
        # A multi-line value (a key file) is also masked line by line, as logs split it.
        pieces = {piece for value in values for piece in (value, *value.splitlines())}
        pieces = {p for p in pieces if len(p.strip()) >= MIN_LENGTH}
        self._raw = sorted(pieces, key=len, reverse=True)
        forms = {form for piece in pieces for form in _forms(piece)}
        # Longest first, so a value that contains another is masked whole.
        self._forms = sorted({f for f in forms if len(f.strip()) >= MIN_LENGTH}, key=len, reverse=True)

    @classmethod
    def for_spaces(cls, spaces: Iterable[DesiredSpace], env: Mapping[str, str] | None = None) -> Redactor:
        values = [env[name] for name in CREDENTIALS if env and env.get(name)]
        repositories: dict[str, Ignores | None] = {}
        for space in spaces:
            for ref in space.secrets.values():
                if ref.from_file is not None and written_in_the_repository(ref.from_file, repositories):
                    # Its "value" is whatever a pull request wrote there: masking it would let
                    # the pull request choose which words the plan comment hides.
                    continue
                with contextlib.suppress(OSError, ValueError):  # unreadable: nothing to mask
                    value = resolve_secret(ref)
                    if value:
                        values.append(value)
        return cls(values)

    @property
    def longest(self) -> int:
        return max((len(f) for f in self._forms), default=0)

    def __call__(self, text: str) -> str:
        """Written text: every form of every value masked."""
        for form in self._forms:
            if form in text:
                text = text.replace(form, MASK)
        return text

    def data(self, value: Any) -> Any:
        """A JSON-like document with raw values masked in every string (keys too), before it is
        rendered or serialised."""
        if isinstance(value, str):
            for raw in self._raw:
                value = value.replace(raw, MASK)
            return value
        if isinstance(value, Mapping):
            return {self.data(k): self.data(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [self.data(v) for v in value]
        return value


# The redactor of the running action: set once by `active()`, read by every writer.
_current = Redactor()


def text(value: str) -> str:
    return _current(value)


def data(value: Any) -> Any:
    return _current.data(value)


class _Stream:
    """A text stream that masks whole lines: a value is never split between two writes."""

    def __init__(self, target: TextIO, redact: Callable[[str], str]) -> None:
        self._target = target
        self._redact = redact
        self._pending = ""

    def write(self, chunk: str) -> int:
        self._pending += chunk
        cut = max(self._pending.rfind("\n"), self._pending.rfind("\r"))
        if cut >= 0:
            self._target.write(self._redact(self._pending[: cut + 1]))
            self._pending = self._pending[cut + 1 :]
        return len(chunk)

    def flush(self) -> None:
        self._target.flush()

    def close_line(self) -> None:
        if self._pending:
            self._target.write(self._redact(self._pending))
            self._pending = ""
        self._target.flush()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._target, name)


def _record_factory(
    previous: Callable[..., logging.LogRecord], redact: Callable[[str], str]
) -> Callable[..., logging.LogRecord]:
    def make(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        try:
            message = record.getMessage()
        except Exception:  # a broken format string: keep its parts
            message = f"{record.msg!r} {record.args!r}"
        record.msg, record.args = redact(message), ()
        if record.exc_info and record.exc_info[1] is not None:
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        return record

    return make


@contextlib.contextmanager
def active(redactor: Redactor) -> Iterator[Redactor]:
    """Route stdout, stderr, log records and the module's writers through `redactor`."""
    global _current
    previous, factory = _current, logging.getLogRecordFactory()
    out, err = _Stream(sys.stdout, redactor), _Stream(sys.stderr, redactor)
    _current = redactor
    logging.setLogRecordFactory(_record_factory(factory, redactor))
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            yield redactor
    finally:
        out.close_line()
        err.close_line()
        logging.setLogRecordFactory(factory)
        _current = previous
