"""SpaceSet expansion: generators -> parameter sets -> one rendered Space document each.

Templates arrive in pull requests, so they are rendered in Jinja2's sandbox (no attribute
access to Python internals) with bounds on time, sizes and ranges (sandbox.py), and with
StrictUndefined (a misspelled parameter is an error, not an empty string).
"""

from __future__ import annotations

import dataclasses
import itertools
import json
import re
import traceback
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from types import FrameType
from typing import Any

import jinja2
import jinja2.meta

from reconciler.manifests.context import HIDDEN, SHORT, DocContext, TemplateMap, redact
from reconciler.manifests.sandbox import BoundedEnvironment, LimitExceeded
from reconciler.manifests.schema_models import SpaceSet
from reconciler.manifests.sensitive import secret_looking
from reconciler.manifests.validation import did_you_mean
from reconciler.manifests.yaml_positions import Parsed, Pos, parse_documents

MAX_GENERATED = 100_000
TEMPLATE = ("spec", "template")


@dataclass
class Hiding:
    names: set[str]  # parameters never shown
    known: bool = False  # has any entry rendered to a document?
    # (entry index, parameter) whose value is a whole string under that entry's spec.secrets.
    whole: set[tuple[int, str]] = field(default_factory=set)


@dataclass(frozen=True, eq=False)
class Label:
    """Which generator entry produced a document: "regional-demos[1] {region: us}".

    Turned into text only when a diagnostic is printed, after every entry was rendered: by
    then `hiding` knows each parameter that reached spec.secrets in some rendered entry (or
    is named like a credential), and its value is never shown. Until one entry rendered to a
    document, nobody knows where a parameter goes: every string parameter is hidden.
    """

    name: str
    index: int
    params: dict[str, Any]
    hiding: Hiding  # shared by every label of one SpaceSet

    @property
    def hidden(self) -> set[str]:
        if self.hiding.known:
            return self.hiding.names
        return self.hiding.names | {key for key, value in self.params.items() if isinstance(value, str)}

    def __str__(self) -> str:
        return f"{self.name}[{self.index}] {_flow(self.params, self.hidden)}"

    def note_secrets(self, data: Any) -> None:
        """Hide every parameter whose value shows up under spec.secrets of the rendered `data`."""
        self.hiding.known = True
        spec = data.get("spec") if isinstance(data, dict) else None
        secrets = spec.get("secrets") if isinstance(spec, dict) else None
        if secrets is None:
            return
        strings = {text.casefold() for text in _strings(secrets)}
        joined = "\0".join(strings)
        for key, value in self.params.items():
            text = _text(value).casefold()
            if text in strings:
                self.hiding.names.add(key)
                self.hiding.whole.add((self.index, key))
            # A short value ("1", "eu") inside a longer string is more likely chance than a flow.
            elif len(text) >= SHORT and text in joined:
                self.hiding.names.add(key)

    @property
    def values(self) -> set[str]:
        """The values of this entry's hidden parameters: secret in every text about the entry.

        A value shorter than SHORT only when this entry writes it as a whole string under
        spec.secrets, its parameter is named like a credential, or no entry rendered yet: a
        parameter hidden for another entry's sake (`i: 1000` is in "hf_x1000") does not make
        this entry's `i: 1` a secret, and "1" would be masked in "1-96 letters".
        """
        found = set()
        for key in self.hidden & self.params.keys():
            text = _text(self.params[key])
            if (
                len(text) >= SHORT
                or not self.hiding.known
                or (self.index, key) in self.hiding.whole
                or secret_looking(key)
            ):
                found.add(text)
        return found

    def mask(self, message: str) -> str:
        """`message` without the values of hidden parameters: a diagnostic about the generated
        Space may quote one wherever the template used it (metadata.name, a variable, a path),
        an exception text too."""
        return redact(message, self.values)


@dataclass(frozen=True)
class Rendered:
    text: str
    label: Label
    template: TemplateMap


def _text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, default=str)


def _strings(value: Any) -> list[str]:
    if isinstance(value, dict):
        return [text for key, item in value.items() for text in (str(key), *_strings(item))]
    if isinstance(value, list):
        return [text for item in value for text in _strings(item)]
    return [_text(value)]


def _flow(params: dict[str, Any], hidden: set[str] | frozenset[str] = frozenset()) -> str:
    shown = (f"{key}: {HIDDEN if key in hidden else _text(value)}" for key, value in params.items())
    return "{" + ", ".join(shown) + "}"


def parameter_sets(ctx: DocContext, spaceset: SpaceSet) -> list[dict[str, Any]] | None:
    result: list[dict[str, Any]] = []
    ok = True
    for index, generator in enumerate(spaceset.spec.generators):
        path: tuple[str | int, ...] = ("spec", "generators", index)
        if generator.list_ is not None:
            entries = generator.list_
            names = {key for entry in entries for key in entry}
            path = (*path, "list")
        else:
            assert generator.matrix is not None
            matrix = generator.matrix
            names = set(matrix)
            path = (*path, "matrix")
            size = 1
            for key, values in matrix.items():
                size *= len(values)
                if not values:
                    ctx.error((*path, key), f"matrix list {key!r} is empty, so the matrix generates nothing")
            if size > MAX_GENERATED:
                ctx.error(path, f"matrix generates {size} Spaces; the limit is {MAX_GENERATED}")
                ok = False
                continue
            entries = [dict(zip(matrix, combo, strict=True)) for combo in itertools.product(*matrix.values())]
        for name in sorted(names):
            if not name.isidentifier():
                ctx.error(
                    path,
                    f"parameter name {name!r} is not usable in a template "
                    "(letters, digits and '_', not starting with a digit)",
                )
                ok = False
        result.extend(entries)
    if len(result) > MAX_GENERATED:
        ctx.error(("spec", "generators"), f"generators produce {len(result)} Spaces; the limit is {MAX_GENERATED}")
        ok = False
    return result if ok else None


def _template_map(parsed: Parsed, file_lines: list[str]) -> TemplateMap:
    anchor = parsed.value_pos(TEMPLATE)
    if parsed.styles.get(TEMPLATE) != "|":
        return TemplateMap(anchor)
    first = anchor[0] + 1
    indent = 0
    for line in file_lines[first:]:
        if line.strip():
            indent = len(line) - len(line.lstrip(" "))
            break
    return TemplateMap(anchor, first, indent)


def expand(ctx: DocContext, spaceset: SpaceSet, file_lines: list[str]) -> Iterator[Rendered]:
    assert ctx.parsed is not None
    base = _template_map(ctx.parsed, file_lines)
    source = spaceset.spec.template
    base = dataclasses.replace(base, template_lines=tuple(source.split("\n")))
    params = parameter_sets(ctx, spaceset)
    if params is None:
        return
    environment = BoundedEnvironment(undefined=jinja2.StrictUndefined, keep_trailing_newline=True, autoescape=False)
    try:
        template = environment.from_string(source)
    except jinja2.TemplateSyntaxError as problem:
        at = dataclasses.replace(base, rendered=source).map(((problem.lineno or 1) - 1, 0))
        ctx.add_at(at, f"template syntax error: {problem.message}")
        return
    name = spaceset.metadata.name
    hiding = Hiding({key for entry in params for key in entry if secret_looking(key)})
    unknown = jinja2.meta.find_undeclared_variables(environment.parse(source))
    failures: dict[tuple[str, Pos], list[Label]] = {}
    at_source = dataclasses.replace(base, rendered=source)
    for index, entry in enumerate(params):
        label = Label(name, index, entry, hiding)
        try:
            text = environment.render(template, entry)
        except LimitExceeded as problem:
            # Every entry renders the same template: one is enough to know it is over a bound.
            failures.setdefault((f"template limit exceeded: {problem.message}", base.anchor), []).append(label)
            break
        except jinja2.UndefinedError as problem:
            missing = sorted(unknown - set(entry))
            pos, word = _failing_place(problem, source, missing)
            guess = did_you_mean(word, sorted(entry)) if word else None
            message = f"template error: {problem.message or type(problem).__name__}"
            message += f"; did you mean {guess!r}?" if guess else ""
            failures.setdefault((message, at_source.map(pos) if pos else base.anchor), []).append(label)
            _probe(source, entry, label)
            continue
        except jinja2.TemplateError as problem:
            message = f"template error: {problem.message or type(problem).__name__}"
            pos, _ = _failing_place(problem, source, [])
            failures.setdefault((message, at_source.map(pos) if pos else base.anchor), []).append(label)
            _probe(source, entry, label)
            continue
        except Exception as problem:  # a user expression failing, e.g. {{ 1 / 0 }}
            message = f"template error: {type(problem).__name__}: {problem}"
            pos, _ = _failing_place(problem, source, [])
            failures.setdefault((message, at_source.map(pos) if pos else base.anchor), []).append(label)
            _probe(source, entry, label)
            continue
        yield Rendered(text, label, dataclasses.replace(base, rendered=text))
    for (message, pos), labels in failures.items():
        ctx.add_at(pos, f"{origin(labels)}: {masked(labels, message)}")


def _failing_place(problem: BaseException, source: str, names: Sequence[str]) -> tuple[Pos | None, str | None]:
    """Where in the template rendering failed ((line, col), 0-based) and the undefined name there.

    Jinja2 rewrites a rendering error's traceback so that its innermost `<template>` frame
    carries the template's line (jinja2/debug.py); the column is that of the first name of
    `names` written on that line, else the line's first character.
    """
    lines = [number for frame, number in traceback.walk_tb(problem.__traceback__) if _in_template(frame)]
    if not lines or not 1 <= lines[-1] <= len(source.split("\n")):
        return None, None
    row = lines[-1] - 1
    text = source.split("\n")[row]
    found = [(m.start(), name) for name in names if (m := re.search(rf"\b{re.escape(name)}\b", text))]
    if found:
        col, word = min(found)
        return (row, col), word
    return (row, len(text) - len(text.lstrip())), None


def _in_template(frame: FrameType) -> bool:
    return frame.f_code.co_filename == "<template>"


def _probe(source: str, entry: dict[str, Any], label: Label) -> None:
    """Learn where parameters go from an entry that failed (a misspelled name, usually):
    render it once more leniently (undefined names empty) and look at its spec.secrets."""
    if label.hiding.known:
        return
    lenient = BoundedEnvironment(undefined=jinja2.Undefined, keep_trailing_newline=True, autoescape=False)
    try:
        text = lenient.render(lenient.from_string(source), entry)
    except Exception:  # still unknown: every string parameter stays hidden
        return
    for document in parse_documents(text):
        if isinstance(document, Parsed):
            label.note_secrets(document.data)
        break


def masked(labels: Iterable[object], text: str) -> str:
    """`text` without the value of any parameter hidden in the entries of `labels` (a text about
    several entries masks the values of each)."""
    return redact(text, {value for label in labels if isinstance(label, Label) for value in label.values})


def origin(labels: Sequence[object]) -> str:
    """'in Space generated by x[1] {..}', or a count and the first few for a shared mistake."""
    if len(labels) == 1:
        return f"in Space generated by {labels[0]}"
    shown = ", ".join(str(label) for label in labels[:3]) + (f" and {len(labels) - 3} more" if len(labels) > 3 else "")
    return f"in {len(labels)} Spaces generated by {shown}"
