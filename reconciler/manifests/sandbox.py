"""Jinja2's sandbox with resource bounds, for SpaceSet templates (they come from pull requests).

The sandbox already refuses Python internals (and, immutable, methods that change lists and
dicts in place: `l.append(s)` in a loop would grow a list no hook sees); this adds bounds on
what a template may cost
(README "Security"). Every operator that can build something large (`*`, `**`, `+`, `%`...),
every filter, every call, the `~` operator, each loop iteration and each output chunk goes
through a hook here, which checks the wall-clock deadline of the current render and refuses a
result (or an argument announcing one) over the limits below before it is built. A bound
exceeded raises `LimitExceeded`, naming the limit.
"""

from __future__ import annotations

import functools
import math
import re
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import jinja2
from jinja2 import nodes
from jinja2.compiler import CodeGenerator, Frame
from jinja2.sandbox import ImmutableSandboxedEnvironment, SandboxedEnvironment

MAX_RENDER_SECONDS = 2.0  # per generated Space
MAX_TEXT = 1_000_000  # characters (or items) of any string or list a template builds, output included
MAX_INT_BITS = 4096  # integers up to about 10**1233
MAX_RANGE = 10_000  # items of one range()
MAX_LIPSUM_PARAGRAPHS = 20
_WIDE = re.compile(r"\d{7,}")  # a width or precision of a million or more in a format string


class LimitExceeded(jinja2.TemplateError):
    """A template went over one of the bounds; the message names it."""


def _int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _sized(value: Any) -> bool:
    return isinstance(value, (str, list, tuple))


def _weight(value: Any, depth: int = 0) -> int:
    """Characters and items a value holds, counting a string once per reference to it:
    `[s] * 1000` weighs 1000 times `s`, as printing it would."""
    if isinstance(value, str):
        return len(value)
    if depth > 8:
        return 1
    if isinstance(value, (list, tuple)):
        return len(value) + sum(_weight(item, depth + 1) for item in value)
    if isinstance(value, dict):
        return len(value) + sum(_weight(k, depth + 1) + _weight(v, depth + 1) for k, v in value.items())
    return 1


def check_result(value: Any) -> Any:
    if _int(value) and value.bit_length() > MAX_INT_BITS:
        raise LimitExceeded(f"an integer of {value.bit_length()} bits; the limit is {MAX_INT_BITS} bits")
    if isinstance(value, (str, list, tuple, dict)) and _weight(value) > MAX_TEXT:
        raise LimitExceeded(f"a value of more than {MAX_TEXT} characters or items, the limit")
    return value


def _check_format(text: Any) -> None:
    if isinstance(text, str) and _WIDE.search(text):
        raise LimitExceeded(f"a format width or precision of a million or more; the limit is {MAX_TEXT} characters")


def _check_arguments(args: Iterable[Any]) -> None:
    for value in args:
        if _int(value) and abs(value) > MAX_TEXT:
            raise LimitExceeded(f"an integer argument of {value.bit_length()} bits; arguments are at most {MAX_TEXT}")


def _check_binop(operator: str, left: Any, right: Any) -> None:
    """Refuse an operation whose result would be over a bound, before computing it."""
    if operator == "**" and _int(left) and _int(right) and right > 0 and abs(left) > 1:
        bits = right * math.log2(abs(left))
        if bits > MAX_INT_BITS:
            raise LimitExceeded(f"** would give an integer of about {bits:.0f} bits; the limit is {MAX_INT_BITS}")
    elif operator == "*":
        if _int(left) and _int(right) and left.bit_length() + right.bit_length() > MAX_INT_BITS + 1:
            raise LimitExceeded(f"* would give an integer over {MAX_INT_BITS} bits")
        for seq, times in ((left, right), (right, left)):
            if _sized(seq) and _int(times) and len(seq) * times > MAX_TEXT:
                raise LimitExceeded(f"* would give {len(seq) * times} characters or items; the limit is {MAX_TEXT}")
    elif operator == "+" and _sized(left) and _sized(right) and len(left) + len(right) > MAX_TEXT:
        raise LimitExceeded(f"+ would give {len(left) + len(right)} characters or items; the limit is {MAX_TEXT}")
    elif operator == "%":
        _check_format(left)


def _bounded_lipsum(n: int = 5, html: bool = True, min: int = 20, max: int = 100) -> Any:
    if not _int(n) or not _int(max) or n > MAX_LIPSUM_PARAGRAPHS or max > 1000:
        raise LimitExceeded(f"lipsum() is bounded to {MAX_LIPSUM_PARAGRAPHS} paragraphs of at most 1000 words")
    from jinja2.utils import generate_lorem_ipsum

    return generate_lorem_ipsum(n=n, html=html, min=min, max=max)


class _Generator(CodeGenerator):
    """Routes `~`, list, tuple and dict literals and every `for` loop's iterable through the
    environment's bounds (none of them reaches a sandbox hook otherwise)."""

    def visit_List(self, node: nodes.List, frame: Frame) -> None:
        self.write("environment.checked(")
        super().visit_List(node, frame)
        self.write(")")

    def visit_Tuple(self, node: nodes.Tuple, frame: Frame) -> None:
        if node.ctx != "load":  # an assignment target: `{% for a, b in ... %}`
            super().visit_Tuple(node, frame)
            return
        self.write("environment.checked(")
        super().visit_Tuple(node, frame)
        self.write(")")

    def visit_Dict(self, node: nodes.Dict, frame: Frame) -> None:
        self.write("environment.checked(")
        super().visit_Dict(node, frame)
        self.write(")")

    def visit_Concat(self, node: nodes.Concat, frame: Frame) -> None:
        self.write("environment.bounded_concat((")
        for argument in node.nodes:
            self.visit(argument, frame)
            self.write(", ")
        self.write("))")

    def visit_For(self, node: nodes.For, frame: Frame) -> None:
        wrapped = isinstance(node.iter, nodes.Call) and isinstance(node.iter.node, nodes.EnvironmentAttribute)
        if not wrapped:
            iterate = nodes.EnvironmentAttribute("bounded_iter", lineno=node.lineno)
            node.iter = nodes.Call(iterate, [node.iter], [], None, None, lineno=node.lineno)
        super().visit_For(node, frame)


def _check_str_method(method: Any, args: tuple[Any, ...]) -> None:
    """str methods whose result can dwarf their arguments: estimate the size first."""
    text, name = getattr(method, "__self__", None), getattr(method, "__name__", "")
    if not isinstance(text, str):
        return
    size = 0
    if name == "replace" and len(args) >= 2 and isinstance(args[0], str) and isinstance(args[1], str):
        size = len(text) + (text.count(args[0]) if args[0] else len(text) + 1) * len(args[1])
    elif name == "join" and args and isinstance(args[0], (list, tuple)):
        size = _weight(args[0]) + len(text) * len(args[0])
    elif name == "translate" and args and isinstance(args[0], dict):
        size = len(text) * (1 + max((_weight(v) for v in args[0].values()), default=0))
    if size > MAX_TEXT:
        raise LimitExceeded(f"str.{name} would give about {size} characters; the limit is {MAX_TEXT}")


class BoundedEnvironment(ImmutableSandboxedEnvironment):
    intercepted_binops = frozenset({"+", "-", "*", "/", "//", "%", "**"})
    code_generator_class = _Generator

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.deadline = math.inf
        self.globals["range"] = self._range
        self.globals["lipsum"] = _bounded_lipsum
        self.filters = {name: _bounded_filter(self, f) for name, f in self.filters.items()}

    def render(self, template: jinja2.Template, params: dict[str, Any]) -> str:
        self.deadline = time.monotonic() + MAX_RENDER_SECONDS
        try:
            return template.render(params)
        finally:
            self.deadline = math.inf

    def tick(self) -> None:
        if time.monotonic() > self.deadline:
            raise LimitExceeded(f"rendering one Space took more than {MAX_RENDER_SECONDS:g} s, the limit")

    # ------------------------------------------------------------------ the hooks
    def call_binop(self, context: jinja2.runtime.Context, operator: str, left: Any, right: Any) -> Any:
        self.tick()
        _check_binop(operator, left, right)
        return check_result(super().call_binop(context, operator, left, right))

    def call(__self, __context: jinja2.runtime.Context, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        __self.tick()
        _check_arguments((*args, *kwargs.values()))
        _check_str_method(__obj, args)
        return check_result(SandboxedEnvironment.call(__self, __context, __obj, *args, **kwargs))

    def getattr(self, obj: Any, attribute: str) -> Any:
        self.tick()
        if isinstance(obj, str) and attribute in ("format", "format_map"):
            _check_format(obj)
        return super().getattr(obj, attribute)

    def getitem(self, obj: Any, argument: Any) -> Any:
        self.tick()
        return super().getitem(obj, argument)

    def checked(self, value: Any) -> Any:
        self.tick()
        return check_result(value)

    def bounded_concat(self, values: tuple[Any, ...]) -> str:
        check_result(values)
        return self.concat(str(value) for value in values)

    def concat(self, chunks: Iterable[Any]) -> str:
        # Output of the whole template, of {% set %} blocks and macros: joined here.
        parts: list[str] = []
        total = 0
        for chunk in chunks:
            self.tick()
            total += len(chunk)
            if total > MAX_TEXT:
                raise LimitExceeded(f"the output is over {MAX_TEXT} characters, the limit")
            parts.append(chunk)
        return "".join(parts)

    def _range(self, *args: int) -> range:
        self.tick()
        numbers = range(*args)
        if len(numbers) > MAX_RANGE:
            raise LimitExceeded(f"range() of {len(numbers)} items; the limit is {MAX_RANGE}")
        return numbers

    def bounded_iter(self, iterable: Any) -> Iterator[Any]:
        for item in iterable:
            self.tick()
            yield item


def _bounded_filter(environment: BoundedEnvironment, function: Callable[..., Any]) -> Callable[..., Any]:
    # Filters taking the context or environment get it first, then the filtered value.
    first = 2 if getattr(function, "jinja_pass_arg", None) is not None else 1

    @functools.wraps(function)  # keeps jinja_pass_arg
    def bounded(*args: Any, **kwargs: Any) -> Any:
        environment.tick()
        _check_arguments((*args[first:], *kwargs.values()))
        if len(args) >= first:
            check_result(args[first - 1])
            if function.__name__ == "do_format":
                _check_format(args[first - 1])
        return check_result(function(*args, **kwargs))

    return bounded
