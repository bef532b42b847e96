"""The plan pipeline: desired Spaces -> observe the Hub -> pairs -> Plan.

This is the one place that combines effects (Hub reads, secret lookups) with the pure
stages (diff, planner). `apply` and `drift` reuse it, so there is one observation path.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

from reconciler import interning, secrets
from reconciler.diff import SecretProbe
from reconciler.drift import CommitRef, DriftReport, classify, needs_commits
from reconciler.errors import UserError
from reconciler.health import Stage
from reconciler.hub.cache import TreeCache
from reconciler.hub.client import HubClient
from reconciler.hub.observe import (
    Listed,
    hardware_costs,
    info_one,
    list_namespace,
    observe_one,
    read_tree,
    recent_commits,
    whoami,
)
from reconciler.manifests import resolve_secret
from reconciler.manifests.hub_rules import FREE_HARDWARE, account_diagnostics, written_account_settings
from reconciler.model import DesiredSpace, ObservedSpace, Orphan, Plan, PlanEntry
from reconciler.planner import Pair, build_plan, pair_up, plan_pair
from reconciler.policy import CompiledPolicy
from reconciler.policy.check import shared_inputs, with_policy
from reconciler.timestamps import now_text
from reconciler.workspace import tree_cache_dir

ANONYMOUS_NOTE = (
    "No Hub token: only public Spaces are visible and their variables and secrets cannot be read. "
    "A private Space shows as to be created, and variables and secrets are not compared."
)


@dataclass(frozen=True)
class Shard:
    """Shard `index` (1-based) of `count`: a stable hash of the Space id picks the shard."""

    index: int
    count: int

    @classmethod
    def parse(cls, text: str) -> Shard:
        try:
            index_text, count_text = text.split("/")
            shard = cls(int(index_text), int(count_text))
        except ValueError:
            raise UserError(f"--shard {text!r}: expected I/N, e.g. 1/4") from None
        if not 1 <= shard.index <= shard.count:
            raise UserError(f"--shard {text!r}: I must be between 1 and N")
        return shard

    def owns(self, space_id: str) -> bool:
        digest = hashlib.sha256(space_id.encode()).digest()
        return int.from_bytes(digest[:8], "big") % self.count == self.index - 1


@dataclass(frozen=True)
class Selection:
    """`targets`: only these Spaces (each has a manifest); `also`: Spaces without a manifest read
    with the targets (the deletions of a reviewed plan, so --prune sees them again)."""

    targets: tuple[str, ...] = ()
    shard: Shard | None = None
    also: tuple[str, ...] = ()

    def keeps(self, space_id: str) -> bool:
        if self.targets and space_id not in self.targets and space_id not in self.also:
            return False
        return self.shard is None or self.shard.owns(space_id)


@dataclass(frozen=True)
class Observation:
    """What one plan read from the Hub, reused by apply and drift.

    observed: the Spaces the manifests describe, fully read (variables, secrets, files).
    unmanaged: the other Spaces of the watched namespaces, as the listing shows them.
    """

    observed: Mapping[str, ObservedSpace]
    unmanaged: tuple[ObservedSpace, ...]
    # Spaces whose tree came from a tree apply derived (hub.cache): good for "unchanged",
    # read from the Hub before anything is written on it (verified_trees).
    derived: frozenset[str] = frozenset()


def select(desired: Sequence[DesiredSpace], selection: Selection) -> list[DesiredSpace]:
    known = {d.id for d in desired}
    unknown = [t for t in selection.targets if t not in known]
    if unknown:
        raise UserError(f"--target {', '.join(unknown)}: no manifest describes this Space")
    return [d for d in desired if selection.keeps(d.id)]


def observe(
    client: HubClient,
    desired: Sequence[DesiredSpace],
    *,
    selection: Selection,
    namespaces: Iterable[str] = (),
    cache: TreeCache,
    parallelism: int,
    then: Callable[[str, ObservedSpace], None] | None = None,
) -> Observation:
    """Read the Hub: one listing per namespace (or one info per --target) and per-Space reads.

    Per-Space reads start on a worker pool as soon as the listing shows the Space, so the
    listing's pages and the reads overlap instead of running one after the other. `then(id,
    observed)` runs on the worker right after a Space is read, while other reads are in flight.
    """
    listed: dict[str, Listed] = {}
    # Hub ids are case-insensitive (hub-contract §13): `Acme/Demo` in git is the Hub's
    # `acme/demo`. Observations are keyed by the id as the manifest spells it.
    wanted = {d.id.lower(): d.id for d in desired}
    reads: dict[str, Future[ObservedSpace]] = {}
    derived: set[str] = set()
    rows = interning.Rows()  # equal variable and secret rows, one object each
    with ThreadPoolExecutor(max_workers=max(1, parallelism)) as pool:

        def consider(item: Listed) -> None:
            desired_id = wanted.get(item.id.lower())
            if desired_id is None:
                listed[item.id] = item  # only the Spaces no manifest describes are kept (`others`)
            elif desired_id not in reads:
                reads[desired_id] = pool.submit(_read_one, client, item, cache, derived, desired_id, then, rows)

        if selection.targets:
            for target in (*selection.targets, *selection.also):
                found = info_one(client, target)
                if found is not None:
                    consider(found)
        else:
            spelled = {n.lower(): n for n in sorted({d.namespace for d in desired} | set(namespaces), reverse=True)}
            for namespace in sorted(spelled.values()):
                list_namespace(client, namespace, on_each=consider)
        observed = {space_id: reads[space_id].result() for space_id in sorted(reads)}
    others = tuple(item.observed for space_id, item in sorted(listed.items()) if selection.keeps(space_id))
    spelled_as = {space_id.lower(): space_id for space_id in observed}  # derived holds the Hub's spelling
    from_apply = frozenset(spelled_as[i.lower()] for i in derived if i.lower() in spelled_as)
    return Observation(observed=observed, unmanaged=others, derived=from_apply)


def _read_one(
    client: HubClient,
    item: Listed,
    cache: TreeCache,
    derived: set[str],
    desired_id: str,
    then: Callable[[str, ObservedSpace], None] | None,
    rows: interning.Rows,
) -> ObservedSpace:
    observed = observe_one(client, item, cache, derived, rows)
    if then is not None:
        then(desired_id, observed)
    return observed


def verified_trees(
    client: HubClient, observation: Observation, space_ids: Iterable[str], cache: TreeCache, parallelism: int
) -> Observation:
    """`observation` with the real tree read for each of `space_ids` whose tree was derived.

    A derived tree is what apply computed from its own commit; the plan trusts it to find no
    difference, and reads the Hub's tree before a difference it finds becomes a write."""
    todo = sorted(set(space_ids) & observation.derived)
    if not todo:
        return observation

    def reread(space_id: str) -> ObservedSpace:
        space = observation.observed[space_id]
        assert space.sha is not None
        return space.model_copy(update={"files": read_tree(client, space_id, space.sha, cache)})

    with ThreadPoolExecutor(max_workers=max(1, parallelism)) as pool:
        fresh = dict(zip(todo, pool.map(reread, todo), strict=True))
    return Observation(
        observed={**observation.observed, **fresh},
        unmanaged=observation.unmanaged,
        derived=observation.derived - set(todo),
    )


def probe_secrets(
    desired: Iterable[DesiredSpace], rewrite_unreadable: bool = False
) -> dict[str, dict[str, SecretProbe]]:
    """For each desired secret: is its value available here, and its fingerprint. Values are dropped at once."""
    key = secrets.fingerprint_key()
    probes: dict[str, dict[str, SecretProbe]] = {}
    for space in desired:
        per_space: dict[str, SecretProbe] = {}
        for name, ref in space.secrets.items():
            value = resolve_secret(ref, f"{space.id} secret {name}")
            if value is None:
                per_space[name] = SecretProbe(available=False)
            else:
                fp = secrets.fingerprint(key, space.id, name, value) if key else None
                per_space[name] = SecretProbe(available=True, fingerprint=fp, rewrite_unreadable=rewrite_unreadable)
        probes[space.id] = per_space
    return probes


def make_plan(
    client: HubClient,
    desired: Sequence[DesiredSpace],
    *,
    selection: Selection = Selection(),
    prune: bool = False,
    namespaces: Iterable[str] = (),
    cache: TreeCache | None = None,
    parallelism: int = 8,
    policies: Sequence[CompiledPolicy] = (),
    context_env: Mapping[str, str] | None = None,
    rewrite_unreadable_secrets: bool = False,
) -> tuple[Plan, Observation]:
    chosen = select(desired, selection)
    cache = cache or TreeCache(tree_cache_dir())
    probes = probe_secrets(chosen, rewrite_unreadable_secrets)
    has_key = secrets.fingerprint_key() is not None
    by_id = {d.id: d for d in chosen}
    early: dict[str, PlanEntry] = {}
    # The hardware prices are read beside the per-Space reads, and each Space is planned on its
    # worker as soon as it is read: the plan's own work overlaps the reads still in flight (P2).
    # The prices read starts once the first Space has been read, not beside the listing: against
    # an unreachable Hub the listing alone fails, with one retry line per attempt. No worker waits
    # for the prices: a Space read while they are in flight is planned with the rest after the
    # reads (build_plan), and its worker goes on to its next Space. Waiting held every worker,
    # and so every request slot, idle for one prices read at the start of each plan.
    with ThreadPoolExecutor(max_workers=1) as side:
        started: list[Future[dict[str, float]]] = []
        lock = threading.Lock()

        def prices_read() -> Future[dict[str, float]]:
            with lock:
                if not started:
                    started.append(side.submit(hardware_costs, client))
            return started[0]

        def plan_early(space_id: str, observed: ObservedSpace) -> None:
            read = prices_read()
            if not read.done():
                return
            pair = Pair(space_id, by_id[space_id], observed, probes.get(space_id, {}))
            early[space_id] = plan_pair(pair, read.result(), has_key)

        observation = observe(
            client,
            chosen,
            selection=selection,
            namespaces=namespaces,
            cache=cache,
            parallelism=parallelism,
            then=plan_early,
        )
        costs = prices_read().result()
    # Preview copies are deleted by `preview down` only, never pruned as if they were real Spaces.
    orphans = [o for o in observation.unmanaged if o.managed and not o.preview]
    prune_candidates = orphans if prune else []

    def planned(observation: Observation, reuse: Mapping[str, PlanEntry]) -> Plan:
        return build_plan(
            pair_up(chosen, observation.observed, probes, prune_candidates),
            hub=client.endpoint,
            created_at=now_text(),
            costs=costs,
            has_key=has_key,
            notes=() if client.has_token else (ANONYMOUS_NOTE,),
            planned=reuse,
        )

    plan = planned(observation, early)
    differ = [e.id for e in plan.spaces if e.files and e.id in observation.derived]
    if differ:
        observation = verified_trees(client, observation, differ, cache, parallelism)
        plan = planned(observation, {k: v for k, v in early.items() if k not in differ})
    if not prune and orphans:
        kept = tuple(Orphan(id=o.id, prevent_destroy=o.prevent_destroy) for o in orphans)
        plan = plan.model_copy(update={"orphans": kept})
    if policies:
        desired_by_id = {d.id: d for d in chosen}
        plan = with_policy(plan, policies, desired_by_id, observation.observed, shared_inputs(context_env or {}))
    refuse_what_the_account_cannot(client, plan, chosen)
    return plan, observation


def refuse_what_the_account_cannot(client: HubClient, plan: Plan, desired: Sequence[DesiredSpace]) -> None:
    """Dev mode and paid hardware the Hub would refuse for the namespace (hub_rules): one error per
    Space, before anything is written. whoami is read only when the plan asks for either."""
    by_id = {d.id: d for d in desired}
    asks = [written_account_settings(e, by_id[e.id]) for e in plan.spaces if e.id in by_id]
    if not client.has_token or not any(dev or hardware not in FREE_HARDWARE for dev, hardware in asks):
        return
    found = account_diagnostics(plan, by_id, whoami(client))
    if found:
        every = tuple(d for per_space in found.values() for d in per_space)
        raise UserError(f"{len(found)} Space(s) ask for settings their namespace's plan does not allow", every)


def make_drift(
    client: HubClient,
    desired: Sequence[DesiredSpace],
    *,
    namespaces: Iterable[str] = (),
    selection: Selection = Selection(),
    cache: TreeCache | None = None,
    parallelism: int = 8,
    policies: Sequence[CompiledPolicy] = (),
    context_env: Mapping[str, str] | None = None,
    read_endpoints: Callable[[str], Sequence[str] | None] | None = None,
) -> DriftReport:
    """Drift of every watched Space: the plan's observation and diff, classified (see drift.py).

    `read_endpoints` reads a running Space's API (reconciler.verify.fleet.endpoint_reader); it
    is called only for Spaces that declare spec.verify.endpoints and run."""
    chosen = select(desired, selection)
    cache = cache or TreeCache(tree_cache_dir())
    observation = observe(
        client, chosen, selection=selection, namespaces=namespaces, cache=cache, parallelism=parallelism
    )
    probes = probe_secrets(chosen)

    def planned(observation: Observation) -> Plan:
        pairs = pair_up(chosen, observation.observed, probes)
        has_key = secrets.fingerprint_key() is not None
        return build_plan(pairs, hub=client.endpoint, created_at=now_text(), costs={}, has_key=has_key)

    plan = planned(observation)
    # Drift in files is reported from the Hub's own tree, never from one apply derived.
    differ = [e.id for e in plan.spaces if e.files and e.id in observation.derived]
    if differ:
        observation = verified_trees(client, observation, differ, cache, parallelism)
        plan = planned(observation)

    def read_commits(space_id: str) -> list[CommitRef]:
        return [CommitRef(id=i, author=a, title=t, date=d) for i, a, t, d in recent_commits(client, space_id)]

    # Commit histories are read in parallel, only for Spaces whose drift they can attribute.
    attributable = [e.id for e in plan.spaces if e.id in observation.observed and needs_commits(e)]
    running = [
        d.id
        for d in chosen
        if d.verify and d.verify.endpoints and getattr(observation.observed.get(d.id), "stage", None) is Stage.RUNNING
    ]
    with ThreadPoolExecutor(max_workers=max(1, parallelism)) as pool:
        histories = dict(zip(attributable, pool.map(read_commits, attributable), strict=True))
        apis = dict(zip(running, pool.map(read_endpoints, running), strict=True)) if read_endpoints else {}
    report = classify(
        plan,
        chosen,
        observation.observed,
        observation.unmanaged,
        lambda space_id: histories.get(space_id, []),
        {space_id: names for space_id, names in apis.items() if names is not None},
    )
    if not policies:
        return report
    # A live Space is judged as it runs now: a rule added after it was deployed is reported even in sync.
    judged = with_policy(
        plan, policies, {d.id: d for d in chosen}, observation.observed, shared_inputs(context_env or {})
    )
    return report.model_copy(update={"policy": {e.id: e.policy for e in judged.spaces if e.policy}})
