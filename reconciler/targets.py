"""`--target`: which of the fleet's Spaces a command works on.

A target is an id (`acme/demo`), a bare name (`demo`, any namespace), or a glob on either
(`acme/regional-*`, `*-eu`). Hub ids ignore case (hub-contract §13), so targets do too;
the result spells each id as its manifest does. A target that matches nothing is an error
with the closest ids, never silently an empty selection.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from fnmatch import fnmatchcase

from reconciler.errors import UserError

GLOB = frozenset("*?[")


def _subject(space_id: str, pattern: str) -> str:
    """What a pattern is matched against: the whole id, or the name when it names no namespace."""
    return space_id.lower() if "/" in pattern else space_id.split("/", 1)[-1].lower()


def resolve_targets(patterns: Sequence[str], known: Iterable[str]) -> tuple[str, ...]:
    """The ids of `known` the patterns select, in `known`'s order; () when no pattern is given."""
    ids = list(known)
    chosen: set[str] = set()
    problems = []
    for pattern in patterns:
        wanted = pattern.strip().lower()
        if GLOB & set(wanted):
            found = [i for i in ids if fnmatchcase(_subject(i, wanted), wanted)]
        else:
            found = [i for i in ids if _subject(i, wanted) == wanted]
        if not found:
            problems.append(f"--target {pattern}: no manifest describes {_what(pattern)}{_guess(pattern, ids)}")
        elif len(found) > 1 and not GLOB & set(wanted):
            problems.append(f"--target {pattern}: several Spaces have this name ({', '.join(found)}); write NS/NAME")
        chosen.update(found)
    if problems:
        raise UserError(
            "; ".join(problems)
            if len(problems) == 1
            else "\n  ".join(["these --target values cannot be used:", *problems])
        )
    return tuple(i for i in ids if i in chosen)


def _what(pattern: str) -> str:
    if GLOB & set(pattern):
        return "a Space this pattern matches"
    return "this Space" if "/" in pattern else "a Space of this name"


def _guess(pattern: str, ids: Sequence[str]) -> str:
    wanted = pattern.lower()
    by_subject: dict[str, str] = {}
    for space_id in ids:
        by_subject.setdefault(_subject(space_id, wanted), space_id)
    if GLOB & set(wanted):
        # A glob is compared by its literal text (`regonal-*` -> `regonal-`) with the start of each
        # subject as long as it: the ids the user probably meant to match.
        literal = "".join(c for c in wanted if c not in GLOB)
        starts: dict[str, list[str]] = {}
        for subject in by_subject:
            starts.setdefault(subject[: len(literal)], []).append(subject)
        found = difflib.get_close_matches(literal, list(starts), n=2, cutoff=0.6)
        close = [subject for start in found for subject in starts[start]][:2]
    else:
        close = difflib.get_close_matches(wanted, list(by_subject), n=2, cutoff=0.75)
    return f"; did you mean {' or '.join(by_subject[c] for c in close)}?" if close else ""
