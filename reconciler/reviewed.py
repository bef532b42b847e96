"""What apply will apply: a fresh plan the user approves, or a reviewed plan still true on the Hub.

`apply --plan FILE` executes exactly what was reviewed: the Hub is observed again (only the
reviewed Spaces when they are few), the fresh plan must equal the reviewed one entry by entry
(reconciler/stale.py), and the token must be able to write where apply will write. Error-severity
policy findings on the fresh plan stop apply before any write, reviewed or not.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from reconciler.errors import UserError
from reconciler.hub.cache import TreeCache
from reconciler.hub.client import HubClient
from reconciler.hub.writes import missing_write_access
from reconciler.model import Action, DesiredSpace, ObservedSpace, Plan, PlanEntry, PolicyFinding, Rung
from reconciler.pipeline import Selection, Shard, make_plan
from reconciler.policy.check import blocking
from reconciler.policy.engine import CompiledPolicy
from reconciler.stale import Stale, stale_entries


@dataclass(frozen=True)
class ApplyRequest:
    """What the user asked apply for. `reviewed`: the plan file's plan, None for a fresh plan."""

    reviewed: Plan | None = None
    targets: tuple[str, ...] = ()
    shard: str | None = None
    prune: bool = False
    # Namespaces listed besides the manifests' (reconcile.yaml and --namespace).
    namespaces: tuple[str, ...] = ()
    parallelism: int = 8
    rewrite_unreadable_secrets: bool = False


@dataclass(frozen=True)
class Approved:
    """The plan apply executes and what the executor needs beside it. `todo` holds the entries
    that write (rung other than none); `fresh` is the plan made now (the reviewed one's check)."""

    plan: Plan
    fresh: Plan
    todo: tuple[PlanEntry, ...]
    desired: Mapping[str, DesiredSpace]
    observed: Mapping[str, ObservedSpace]


class PolicyRefused(UserError):
    """Error-severity policy findings on the fresh plan: (space id or None, finding) each."""

    def __init__(self, fresh: Plan, found: Sequence[tuple[str | None, PolicyFinding]]) -> None:
        super().__init__("apply refused by policy; nothing was written")
        self.fresh = fresh
        self.found = tuple(found)


def approved_plan(
    client: HubClient,
    desired: Sequence[DesiredSpace],
    request: ApplyRequest,
    *,
    approve: Callable[[Plan], bool],
    policies: Sequence[CompiledPolicy] = (),
    context_env: Mapping[str, str] | None = None,
    cache: TreeCache | None = None,
) -> Approved | None:
    """Observe, plan, and check everything apply checks before its first write.

    A reviewed plan must still be what the Hub needs (else UserError, stale); a fresh one is shown
    to `approve` (the caller's confirmation), and None comes back when it says no. Raises
    PolicyRefused, or UserError when the token cannot write where apply would write.
    """
    selection, prune = reobservation(
        request.reviewed, desired, targets=request.targets, shard=request.shard, prune=request.prune
    )
    fresh, observation = make_plan(
        client,
        desired,
        cache=cache,
        selection=selection,
        prune=prune,
        namespaces=request.namespaces,
        parallelism=request.parallelism,
        policies=policies,
        context_env=context_env,
        rewrite_unreadable_secrets=request.rewrite_unreadable_secrets,
    )
    if found := blocking(fresh):
        raise PolicyRefused(fresh, found)
    if request.reviewed is not None:
        check_reviewed(request.reviewed, fresh)
        plan = request.reviewed
    elif approve(fresh):
        plan = fresh
    else:
        return None
    todo = tuple(e for e in plan.spaces if e.rung is not Rung.NONE)
    if todo:
        check_write_access(client, todo)
    observed = {**observation.observed, **{o.id: o for o in observation.unmanaged}}
    return Approved(plan=plan, fresh=fresh, todo=todo, desired={d.id: d for d in desired}, observed=observed)


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


class StalePlan(UserError):
    """The reviewed plan is no longer what the Hub needs: why, per entry (render/stale_text.py says it)."""

    def __init__(self, stale: Sequence[Stale]) -> None:
        super().__init__("the plan is stale; nothing was written")
        self.stale = list(stale)


def check_reviewed(reviewed: Plan, fresh: Plan) -> None:
    if stale := stale_entries(reviewed, fresh):
        raise StalePlan(stale)


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
