"""YAML parsing that remembers where every node came from.

PyYAML's composer gives nodes with marks; we walk the node graph ourselves instead of
using a constructor so that each value and each mapping key keeps its line and column,
duplicate keys are reported (PyYAML silently keeps the last one), and alias expansion is
bounded (a manifest arrives in a pull request: a "billion laughs" document must not take
the validator down).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import yaml
from yaml.constructor import ConstructorError, SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

# libyaml is ~10x faster at scanning; every mark we need is available from it as well.
_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

Path = tuple[str | int, ...]
Pos = tuple[int, int]  # 0-based line and column, as PyYAML reports them

_STR = "tag:yaml.org,2002:str"
_MERGE = "tag:yaml.org,2002:merge"
MAX_NODES = 200_000
MAX_DEPTH = 64
MAX_SCALAR = 1_000_000  # characters of one value; a SpaceSet template is far smaller


@dataclass
class Parsed:
    """One YAML document as plain data plus positions keyed by the path to each node."""

    data: Any
    start: Pos
    values: dict[Path, Pos] = field(default_factory=dict)
    keys: dict[Path, Pos] = field(default_factory=dict)
    # The source text of scalars YAML turned into non-strings (3.10 -> 3.1), for hints.
    raw: dict[Path, str] = field(default_factory=dict)
    # Block style of string scalars ('|', '>', '"', ...), needed to map template lines.
    styles: dict[Path, str | None] = field(default_factory=dict)

    def value_pos(self, path: Path) -> Pos:
        """The position of the node at `path`, or of its nearest existing ancestor."""
        for end in range(len(path), -1, -1):
            pos = self.values.get(path[:end])
            if pos is not None:
                return pos
        return self.start

    def key_pos(self, path: Path) -> Pos:
        return self.keys.get(path) or self.value_pos(path)


class YamlProblem(Exception):
    """A document that cannot be turned into data; `pos` is where (0-based)."""

    def __init__(self, message: str, pos: Pos) -> None:
        super().__init__(message)
        self.message = message
        self.pos = pos


def _pos(node: Node) -> Pos:
    return (node.start_mark.line, node.start_mark.column)


class _Builder:
    def __init__(self) -> None:
        self.constructor = SafeConstructor()
        self.count = 0

    def build(self, node: Node) -> Parsed:
        parsed = Parsed(data=None, start=_pos(node))
        parsed.data = self._node(node, (), parsed, 0)
        return parsed

    def _node(self, node: Node, path: Path, parsed: Parsed, depth: int) -> Any:
        self.count += 1
        if self.count > MAX_NODES or depth > MAX_DEPTH:
            raise YamlProblem(
                f"document too large or too deeply nested (more than {MAX_NODES} nodes or "
                f"{MAX_DEPTH} levels after expanding aliases)",
                _pos(node),
            )
        parsed.values[path] = _pos(node)
        if isinstance(node, ScalarNode):
            return self._scalar(node, path, parsed)
        if isinstance(node, SequenceNode):
            return [self._node(item, (*path, i), parsed, depth + 1) for i, item in enumerate(node.value)]
        if isinstance(node, MappingNode):
            return self._mapping(node, path, parsed, depth)
        raise YamlProblem("unsupported YAML node", _pos(node))

    def _scalar(self, node: ScalarNode, path: Path, parsed: Parsed) -> Any:
        if len(node.value) > MAX_SCALAR:
            raise YamlProblem(f"a value of {len(node.value)} characters; the limit is {MAX_SCALAR}", _pos(node))
        if node.tag == _STR:  # the common case, without the constructor's bookkeeping
            if node.style:
                parsed.styles[path] = node.style
            return node.value
        try:
            value = self.constructor.construct_object(node)
        except ConstructorError as problem:
            # The tag is not echoed: in `TOKEN: !hf_abc...` the "tag" is the value.
            raise YamlProblem(
                "unsupported YAML tag; manifests use plain YAML values (no ! tags)", _pos(node)
            ) from problem
        except (ValueError, TypeError, OverflowError) as problem:
            raise YamlProblem(f"invalid {node.tag.rsplit(':', 1)[-1]} value", _pos(node)) from problem
        finally:
            # The constructor memoizes by node; we never reuse nodes, so keep memory flat.
            self.constructor.constructed_objects.clear()
        if isinstance(value, str):
            if node.style:
                parsed.styles[path] = node.style
        else:
            parsed.raw[path] = node.value
        return value

    def _mapping(self, node: MappingNode, path: Path, parsed: Parsed, depth: int) -> dict[Any, Any]:
        if any(key.tag == _MERGE for key, _ in node.value):
            try:
                self.constructor.flatten_mapping(node)  # resolves `<<: *anchor` merge keys
            except ConstructorError as problem:
                raise YamlProblem("invalid merge key (<<)", _pos(node)) from problem
        result: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, ScalarNode):
                raise YamlProblem("mapping keys must be plain scalars", _pos(key_node))
            key = self._scalar(key_node, (*path, "<key>"), parsed)
            if not isinstance(key, (str, int, float, bool)) and key is not None:
                raise YamlProblem("mapping keys must be plain scalars", _pos(key_node))
            key = key if isinstance(key, str) else str(key_node.value)
            child: Path = (*path, key)
            if key in result:
                first = parsed.keys[child]
                raise YamlProblem(f"duplicate key {key!r} (first defined at line {first[0] + 1})", _pos(key_node))
            parsed.keys[child] = _pos(key_node)
            result[key] = self._node(value_node, child, parsed, depth + 1)
        parsed.values.pop((*path, "<key>"), None)
        parsed.raw.pop((*path, "<key>"), None)
        parsed.styles.pop((*path, "<key>"), None)
        return result


_QUOTED = re.compile(r"'[^']{7,}'|\"[^\"]{7,}\"")


def _unquoted(problem: str) -> str:
    """PyYAML quotes what it stumbled on (an alias, a tag handle): that may be a value.
    Short quotes (a character like '\\t') are kept: they say what to fix."""
    return _QUOTED.sub("(...)", problem)


def parse_documents(text: str) -> Iterator[Parsed | YamlProblem]:
    """Yield each document of `text`; a problem ends the stream (YAML cannot resync)."""
    try:
        for node in yaml.compose_all(text, Loader=_Loader):
            if node is None:
                continue
            try:
                yield _Builder().build(node)
            except YamlProblem as problem:
                yield problem
            except RecursionError:
                yield YamlProblem("document nested too deeply", _pos(node))
    except yaml.MarkedYAMLError as problem:
        mark = problem.problem_mark or problem.context_mark
        if problem.context == _SIMPLE_KEY and problem.context_mark is not None:
            # The scanner fails on the line after; the word it took for a key is where the ':' is missing.
            mark = problem.context_mark
        pos = (mark.line, mark.column) if mark is not None else (0, 0)
        # Only the problem text: the snippet PyYAML can add would echo file content.
        words = _unquoted(_plain_words(problem.problem or problem.context, text, pos))
        yield YamlProblem(f"invalid YAML: {words}", pos)
    except yaml.YAMLError as problem:
        yield YamlProblem(f"invalid YAML: {type(problem).__name__}", (0, 0))
    except RecursionError:
        yield YamlProblem("invalid YAML: nested too deeply", (0, 0))


_SIMPLE_KEY = "while scanning a simple key"
# PyYAML's messages name the parser's state; these say what the user probably typed.
_LIKELY = (
    (
        "could not find expected ':'",
        "this line is read as a key, but no colon and space follow it: probably a missing space after a colon "
        "(key: value), or a value that belongs on the line above",
    ),
    (
        "mapping values are not allowed",
        "a ':' where YAML did not expect one: probably a colon inside an unquoted value (quote it: "
        'title: "Hello: world") or a missing space after a colon on this or the line above (key: value)',
    ),
    ("did not find expected key", "this line's indentation does not line up with the keys above it"),
    (
        "did not find expected '-' indicator",
        "a list item ('- ...') and a key at the same indentation; indent the key or make it a list item",
    ),
    ("found unexpected end of stream", "the file ends inside a quoted string or a [list] or {mapping}: close it"),
)


def _plain_words(problem: str | None, text: str, pos: Pos) -> str:
    detail = problem or "syntax error"
    lines = text.split("\n")
    line = lines[pos[0]] if 0 <= pos[0] < len(lines) else ""
    if "\t" in line[: len(line) - len(line.lstrip())]:
        return "tab characters are not allowed for indentation; indent with spaces"
    for marker, words in _LIKELY:
        if marker in detail:
            return f"{words} ({detail})"
    return detail
