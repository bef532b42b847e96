"""Verify every Space of a fleet that declares spec.verify, without changing anything."""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor

from reconciler.errors import ReconcileError
from reconciler.manifests import resolve_secret
from reconciler.model import DesiredSpace
from reconciler.verify.api import ApiUnreachable, Connect
from reconciler.verify.outcomes import Check, CheckResult, Evidence, Problem, SpaceVerification, Status
from reconciler.verify.runner import Live, Redactor, verify_space


def secret_values(desired: DesiredSpace) -> list[str]:
    """The values this run can read, only to remove them from evidence."""
    values: list[str] = []
    for ref in desired.secrets.values():
        try:
            value = resolve_secret(ref)
        except ReconcileError:
            continue
        if value:
            values.append(value)
    return values


def verify_fleet(
    spaces: Sequence[DesiredSpace],
    live: Live,
    connect: Connect,
    extra_secrets: Iterable[str] = (),
    parallelism: int = 4,
) -> list[SpaceVerification]:
    """One SpaceVerification per Space with spec.verify, sorted by id. A Hub error for one Space
    is that Space's ERROR result; the others go on."""
    extra = list(extra_secrets)

    def one(desired: DesiredSpace) -> SpaceVerification:
        redact = Redactor([*secret_values(desired), *extra])
        try:
            return verify_space(desired, live, connect, redact)
        except ReconcileError as problem:
            evidence = Evidence(exception=redact(str(problem)))
            return SpaceVerification(
                desired.id, (CheckResult(Check.RUNNING, Status.ERROR, "", Problem.HUB_ERROR, evidence),)
            )

    chosen = sorted((s for s in spaces if s.verify is not None), key=lambda s: s.id)
    with ThreadPoolExecutor(max_workers=max(1, min(parallelism, len(chosen) or 1))) as pool:
        return list(pool.map(one, chosen))


def endpoint_reader(live: Live, connect: Connect) -> Callable[[str], tuple[str, ...] | None]:
    """For `reconcile drift`: the named endpoints of a running Space's API, or None when the
    Space does not run or its API cannot be read (drift then says nothing about its endpoints)."""

    def read(space_id: str) -> tuple[str, ...] | None:
        try:
            state = live.space(space_id)
            if state.stage != "RUNNING" or state.host is None:
                return None
            with tempfile.TemporaryDirectory(prefix="reconcile-drift-") as folder:
                api = connect(state.host, folder)
                try:
                    return api.endpoints()
                finally:
                    api.close()
        except (ApiUnreachable, ReconcileError):
            return None

    return read
