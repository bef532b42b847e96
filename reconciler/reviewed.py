"""Applying a reviewed plan: what to observe again, whether to prune, and the checks before any write.

`apply --plan FILE` executes exactly what was reviewed: the Hub is observed again (only the
reviewed Spaces when they are few), the fresh plan must equal the reviewed one entry by entry
(reconciler/stale.py, checked by the command), and the token must be able to write where apply will write.
"""

from __future__ import annotations

from collections.abc import Sequence

from reconciler.errors import UserError
from reconciler.hub.client import HubClient
from reconciler.hub.writes import missing_write_access
from reconciler.model import Action, DesiredSpace, Plan, PlanEntry, Rung
from reconciler.pipeline import Selection, Shard


def reobservation(
    reviewed: Plan | None,
    desired: Sequence[DesiredSpace],
    *,
    targets: tuple[str, ...] = (),
    shard: str | None = None,
    prune: bool = False,
) -> tuple[Selection, bool]:
    """The selection to observe and whether to prune. A reviewed plan with deletions prunes; when
    it names few Spaces, only they are read again, the Spaces it deletes included."""
    parsed = Shard.parse(shard) if shard else None
    if reviewed is None:
        return Selection(targets=targets, shard=parsed), prune
    deletes = tuple(e.id for e in reviewed.spaces if e.rung is Rung.DELETE)
    prune = prune or bool(deletes)
    if not targets:
        kept = tuple(e.id for e in reviewed.spaces if e.rung is not Rung.DELETE)
        # One info call per Space beats reading a whole fleet's variables, secrets and trees,
        # unless the plan covered most of the fleet.
        if len(kept) * 2 < len(desired):
            return Selection(targets=kept, shard=parsed, also=deletes), prune
    return Selection(targets=targets, shard=parsed), prune


def check_write_access(client: HubClient, todo: Sequence[PlanEntry]) -> None:
    """Refuse before any write when the token cannot write to a namespace apply would change."""
    namespaces: dict[str, str | None] = {}
    for entry in todo:
        namespace = entry.id.split("/", 1)[0]
        if namespaces.get(namespace) is None:
            namespaces[namespace] = None if entry.action is Action.CREATE else entry.id
    problems = missing_write_access(client, namespaces)
    if problems:
        raise UserError("apply refused before any write:\n  " + "\n  ".join(problems))
