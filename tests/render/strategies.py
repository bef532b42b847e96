"""Hypothesis strategies for plans shaped the way the planner writes them."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from reconciler.model import (
    RUNG_ORDER,
    SENSITIVE,
    Action,
    Change,
    Cost,
    FileChanges,
    FileEntry,
    ObservedDigest,
    Plan,
    PlanEntry,
    Reason,
    ReasonCode,
    Rung,
)

# Any text a file could hold: no lone surrogates (they cannot be written as UTF-8).
texts = st.text(st.characters(exclude_categories=["Cs"]), max_size=30)
hexes = st.text("0123456789abcdef", min_size=40, max_size=40)
money = st.floats(min_value=0, max_value=100, allow_nan=False, allow_infinity=False)
space_ids = st.from_regex(r"[a-z][a-z0-9-]{0,8}/[a-z0-9][a-z0-9._-]{0,12}", fullmatch=True)

json_values: st.SearchStrategy[Any] = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**53), max_value=2**53)
    | st.floats(allow_nan=False, allow_infinity=False)
    | texts,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(texts, inner, max_size=3),
    max_leaves=6,
)


@st.composite
def changes(draw: st.DrawFn) -> Change:
    note = draw(st.none() | texts)
    if draw(st.booleans()):
        name = draw(st.from_regex(r"[A-Z][A-Z0-9_]{0,10}", fullmatch=True))
        before, after = draw(st.sampled_from([(None, SENSITIVE), (SENSITIVE, SENSITIVE), (SENSITIVE, None)]))
        return Change(path=f"spec.secrets.{name}", before=before, after=after, note=note)
    path = "spec." + draw(st.sampled_from(["hardware", "variables.X", "card.title", "volumes./data"]))
    return Change(path=path, before=draw(json_values), after=draw(json_values), note=note)


file_entries = st.builds(FileEntry, path=texts.filter(bool), size=st.integers(0, 2**40), oid=st.none() | hexes)


@st.composite
def entries(draw: st.DrawFn, space_id: str) -> PlanEntry:
    return PlanEntry(
        id=space_id,
        action=draw(st.sampled_from(Action)),
        rung=draw(st.sampled_from(Rung)),
        reasons=tuple(Reason(code=ReasonCode.TEXT, detail=t) for t in draw(st.lists(texts, max_size=3))),
        restarts=draw(st.integers(0, 3)),
        changes=tuple(draw(st.lists(changes(), max_size=4))),
        files=FileChanges(
            added=tuple(draw(st.lists(file_entries, max_size=2))),
            modified=tuple(draw(st.lists(file_entries, max_size=2))),
            deleted=tuple(draw(st.lists(file_entries, max_size=2))),
        ),
        cost=Cost(before_usd_per_hour=draw(money), after_usd_per_hour=draw(money)),
        observed=ObservedDigest(sha=draw(st.none() | hexes), settings_digest=draw(st.none() | hexes)),
        manifest=draw(st.none() | texts),
        warnings=tuple(draw(st.lists(texts, max_size=2))),
    )


@st.composite
def plans(draw: st.DrawFn, max_spaces: int = 6) -> Plan:
    ids = sorted(draw(st.lists(space_ids, unique=True, max_size=max_spaces)))
    spaces = tuple(draw(entries(space_id)) for space_id in ids)
    summary = {rung.value: sum(1 for e in spaces if e.rung is rung) for rung in RUNG_ORDER}
    return Plan(
        created_at=draw(st.just("2026-11-22T10:00:00Z") | texts),
        hub=draw(st.sampled_from(["https://huggingface.co", "http://127.0.0.1:8787"])),
        spaces=spaces,
        summary=summary,
        monthly_cost_delta_usd=draw(st.floats(min_value=-1e6, max_value=1e6, allow_nan=False)),
        notes=tuple(draw(st.lists(texts, max_size=2))),
    )
