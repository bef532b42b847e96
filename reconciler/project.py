"""The project file, `reconcile.yaml` at the repository root: settings of the whole repository.

Today it declares the watched namespaces: plan, apply and drift list every Space of these
namespaces, as well as those of the namespaces the manifests name. Without it a namespace
whose last manifest was deleted is no longer listed, and its managed Spaces become invisible
to `--prune` and `drift`:

    # reconcile.yaml
    namespaces: [acme, acme-staging]

Manifest discovery skips this one file (it has no apiVersion/kind), wherever the walk starts.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import yaml

from reconciler.errors import Diagnostic, Location, Severity, UserError
from reconciler.files import read_small
from reconciler.workspace import repository_root

PROJECT_FILE = "reconcile.yaml"
KEYS = ("namespaces",)
EXAMPLE = "namespaces: [acme, acme-staging]"
MAX_PROJECT_BYTES = 1 << 20  # a few settings; anything larger is not this file
# A Hub user or organisation name: letters, digits, '-', '_', '.'; never a '/'.
_NAMESPACE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,95}")


@dataclass(frozen=True)
class Project:
    namespaces: tuple[str, ...] = ()


def project_file(start: Path | None = None) -> Path:
    return repository_root(start) / PROJECT_FILE


def load_project(start: Path | None = None) -> Project:
    """The project file of the repository holding `start` (default: the current directory); empty when absent."""
    path = project_file(start)
    if not path.exists():
        return Project()
    label = str(path)
    try:
        text = read_small(path, MAX_PROJECT_BYTES).decode("utf-8")
    except (OSError, UnicodeDecodeError) as problem:
        reason = "not UTF-8 text" if isinstance(problem, UnicodeDecodeError) else problem.strerror
        raise _error(Location(label, 1, 1), f"cannot read the project file: {reason}", EXAMPLE) from None
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as problem:
        mark = problem.problem_mark
        where = Location(label, mark.line + 1, mark.column + 1) if mark else Location(label, 1, 1)
        raise _error(where, f"not valid YAML: {problem.problem}", EXAMPLE) from None
    if node is None:
        return Project()
    if not isinstance(node, yaml.MappingNode):
        raise _error(_at(label, node), "expected a mapping of settings", EXAMPLE)
    namespaces: list[str] = []
    for key, value in node.value:
        if key.value not in KEYS:
            raise _error(_at(label, key), f"unknown key {key.value!r}", f"known keys: {', '.join(KEYS)}")
        items = value.value if isinstance(value, yaml.SequenceNode) else None
        if items is None or not all(isinstance(i, yaml.ScalarNode) and i.tag.endswith(":str") for i in items):
            raise _error(_at(label, value), "namespaces must be a list of names", EXAMPLE)
        for item in items:
            if not _NAMESPACE.fullmatch(item.value):
                raise _error(_at(label, item), f"not a namespace: {item.value!r}", "a user or organisation name")
            namespaces.append(item.value)
    return Project(namespaces=tuple(dict.fromkeys(namespaces)))


def watched_namespaces(extra: Iterable[str] = (), start: Path | None = None) -> tuple[str, ...]:
    """The namespaces declared in the project file, then those given on the command line."""
    return tuple(dict.fromkeys([*load_project(start).namespaces, *extra]))


def _at(label: str, node: yaml.Node) -> Location:
    return Location(label, node.start_mark.line + 1, node.start_mark.column + 1)


def _error(where: Location, message: str, hint: str) -> UserError:
    diagnostic = Diagnostic(Severity.ERROR, message, where, hint=hint)
    return UserError(f"{where.file}: the project file is not valid", (diagnostic,))
