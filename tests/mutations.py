"""Random mutations of manifest documents, shared by the property and reliability tests."""

from __future__ import annotations

import copy
from typing import Any

from hypothesis import strategies as st


def node_paths(data: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path to a node of a YAML-like document, the root included."""
    found = [prefix]
    if isinstance(data, dict):
        for key, value in data.items():
            found.extend(node_paths(value, (*prefix, key)))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            found.extend(node_paths(value, (*prefix, index)))
    return found


def mutate(draw: st.DrawFn, document: Any, values: st.SearchStrategy[Any], count: int) -> Any:
    """A copy of `document` with `count` nodes deleted, replaced by `values`, or keys added."""
    document = copy.deepcopy(document)
    for _ in range(count):
        paths = [p for p in node_paths(document) if p]
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        parent = document
        for part in path[:-1]:
            parent = parent[part]
        action = draw(st.sampled_from(["delete", "replace", "add"]))
        if action == "delete":
            del parent[path[-1]]
        elif action == "replace":
            parent[path[-1]] = draw(values)
        elif isinstance(parent, dict):
            parent[draw(st.text(min_size=1, max_size=12))] = draw(values)
    return document


def yaml_values(
    interesting: list[str], *, allow_nan: bool = False, max_leaves: int = 20
) -> tuple[st.SearchStrategy[Any], st.SearchStrategy[Any]]:
    """(scalars, nested values) a YAML document can hold, plus strings that matter to manifests."""
    scalars = st.one_of(
        st.none(),
        st.booleans(),
        st.integers(-(2**40), 2**40),
        st.floats(allow_nan=allow_nan),
        st.text(max_size=20),
        st.sampled_from(interesting),
    )
    values = st.recursive(
        scalars,
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
        max_leaves=max_leaves,
    )
    return scalars, values
