"""Where a document came from and how to turn a path inside it into FILE:LINE:COL.

A Space rendered from a SpaceSet template has positions in the rendered text; `TemplateMap`
maps them back onto the template block in the SpaceSet file, so diagnostics point at
what the user can edit, prefixed with the generator entry that produced the document.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reconciler.errors import Diagnostic, Location, Severity
from reconciler.manifests.yaml_positions import Parsed, Pos
from reconciler.manifests.yaml_positions import Path as NodePath

_NOTHING: frozenset[str] = frozenset()


@dataclass(frozen=True)
class TemplateMap:
    """Maps (line, col) in a rendered template onto the SpaceSet file (all 0-based).

    Exact when the template is a literal block (`|`) and rendering kept the line count;
    otherwise every position falls back to the template's own position.
    """

    anchor: Pos
    first_line: int | None = None
    indent: int = 0
    template_lines: tuple[str, ...] = ()
    rendered: str = ""  # split only when a diagnostic needs it: most documents have none

    def map(self, pos: Pos) -> Pos:
        line, col = pos
        rendered_lines = self.rendered.split("\n")
        if self.first_line is None or len(self.template_lines) != len(rendered_lines):
            return self.anchor
        if not 0 <= line < len(self.template_lines):
            return self.anchor
        template, rendered = self.template_lines[line], rendered_lines[line]
        same = 0
        while same < min(len(template), len(rendered)) and template[same] == rendered[same]:
            same += 1
        # Past the first templated character the rendered column means nothing in the file.
        if col > same:
            col = len(template) - len(template.lstrip())
        return (self.first_line + line, self.indent + col)


@dataclass
class DocContext:
    """Collects the diagnostics of one document."""

    file: Path
    display: str
    parsed: Parsed | None = None
    template: TemplateMap | None = None
    # The generator entry that rendered this document (spaceset.Label, printed as
    # "regional-demos[1] {region: us}"); formatted only when a diagnostic is printed.
    label: object | None = None
    diagnostics: list[Diagnostic] = field(default_factory=list)
    ignored_rules: frozenset[str] = frozenset()  # lifecycle.ignoreLint of the document
    # Paths whose value was reported invalid and left out, so the model holds their default
    # instead: a check that reads one would judge the fallback, not what the user wrote.
    fallbacks: frozenset[NodePath] = frozenset()
    # What the document writes under spec.secrets that may be a secret value (literal_secrets):
    # masked in every diagnostic of the document, wherever else the document repeats it.
    secrets: frozenset[str] = _NOTHING

    def read(self, parsed: Parsed) -> None:
        """Make `parsed` this context's document."""
        self.parsed = parsed
        self.secrets = literal_secrets(parsed.data)

    def location(self, pos: Pos) -> Location:
        if self.template is not None:
            pos = self.template.map(pos)
        return Location(self.display, pos[0] + 1, pos[1] + 1)

    def at(self, path: NodePath, *, key: bool = False) -> Location:
        if self.parsed is None:
            return self.location((0, 0))
        return self.location(self.parsed.key_pos(path) if key else self.parsed.value_pos(path))

    def add(
        self,
        severity: Severity,
        message: str,
        location: Location,
        hint: str | None = None,
        rule: str | None = None,
    ) -> None:
        if rule is not None and rule in self.ignored_rules:
            return
        message, hint = redact(message, self.secrets), hint and redact(hint, self.secrets)
        self.diagnostics.append(Diagnostic(severity, message, location, hint, rule))

    def add_at(self, pos: Pos, message: str) -> None:
        """An error at a raw (0-based) file position, bypassing template mapping."""
        message = redact(message, self.secrets)
        self.diagnostics.append(Diagnostic(Severity.ERROR, message, Location(self.display, pos[0] + 1, pos[1] + 1)))

    def error(self, path: NodePath, message: str, hint: str | None = None, *, key: bool = False) -> None:
        self.add(Severity.ERROR, message, self.at(path, key=key), hint)

    def fell_back(self, *paths: NodePath) -> bool:
        """Whether any of `paths` (or a key around or inside one) was reported invalid."""
        return any(
            path[: len(failed)] == failed or failed[: len(path)] == path for path in paths for failed in self.fallbacks
        )

    @property
    def has_errors(self) -> bool:
        return any(d.severity is Severity.ERROR for d in self.diagnostics)


_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")

# What a diagnostic shows instead of a secret value (and of a generator parameter that is one).
HIDDEN = "(hidden)"
# A value shorter than this inside a longer word is more likely chance than the secret: it is
# masked only where it stands as a word of its own (as spaceset.Label.note_secrets recognises
# it only as a whole string).
SHORT = 4


def redact(text: str, values: Iterable[str]) -> str:
    """`text` with every occurrence of each of `values` replaced by HIDDEN: the one redaction of
    diagnostics. Case is ignored (a template's `{{ tok | upper }}` shows the value upper-cased) and
    the value's repr() form is found too (a message quotes values with !r). An earlier mask in
    `text` is left whole, and a value shorter than SHORT is masked only as a word of its own."""
    if not text:
        return text
    forms = _forms(values if isinstance(values, frozenset) else frozenset(values))
    if not forms:
        return text
    lowered = text.lower()
    present = tuple(form for form, low in forms if low in lowered)
    return _pattern(present).sub(HIDDEN, text) if present else text


@functools.lru_cache(maxsize=1024)
def _forms(values: frozenset[str]) -> tuple[tuple[str, str], ...]:
    """Each form of `values` to look for, with its lower case (to skip the pattern when absent)."""
    forms = {form for value in values if value.strip() for form in (value, repr(value)[1:-1])}
    forms = {form for form in forms if len(form) >= SHORT or re.fullmatch(r"\w+", form)}
    # Longest first: "1" is inside "hf_1...".
    return tuple((form, form.lower()) for form in sorted(forms, key=lambda form: (-len(form), form)))


@functools.lru_cache(maxsize=1024)
def _pattern(forms: tuple[str, ...]) -> re.Pattern[str]:
    # Alternatives are tried in order at each position: an earlier mask first, then the longest form.
    words = [rf"(?<![^\W_]){re.escape(f)}(?![^\W_])" if len(f) < SHORT else re.escape(f) for f in forms]
    return re.compile("|".join([re.escape(HIDDEN), *words]), re.IGNORECASE)


def literal_secrets(data: Any) -> frozenset[str]:
    """What a document writes under spec.secrets that may be a secret value itself: a literal
    value (`K: hf_abc...`), a secret name that is not an environment variable name (`"K=value"`),
    a fromEnv that is not one. Not a reference: a variable name, a fromFile path, a key."""
    spec = data.get("spec") if isinstance(data, dict) else None
    secrets = spec.get("secrets") if isinstance(spec, dict) else None
    found = set(_scalars(secrets))
    for name, ref in secrets.items() if isinstance(secrets, dict) else ():
        if not _ENV_NAME.match(str(name)):
            found.add(str(name))
        if not isinstance(ref, dict):
            found.update(_scalars(ref))
        elif isinstance(env := ref.get("fromEnv"), str) and not _ENV_NAME.match(env):
            found.add(env)
    return frozenset(found) if found else _NOTHING  # most documents: one shared empty set


def _scalars(value: Any) -> list[str]:
    """The strings and numbers in `value` (a list's items too); not booleans or null."""
    if isinstance(value, list):
        return [text for item in value for text in _scalars(item)]
    if isinstance(value, str):
        return [value]
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return [str(value)]
    return []


def secret_name(name: str) -> str:
    """A secret's name as diagnostics show it: a key like `K=value` may carry the value itself."""
    return name if _ENV_NAME.match(name) else "(a name that is not an environment variable name)"


def dotted(path: NodePath) -> str:
    if len(path) > 2 and path[:2] == ("spec", "secrets"):
        path = (*path[:2], secret_name(str(path[2])), *path[3:])
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "document"
