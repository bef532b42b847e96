"""Plan -> Hub writes -> verification -> results. The only stage that changes the Hub.

Per Space, in this order: checks that need no write (secret values readable, local files
still what the plan reviewed), settings, then one commit, then the health gate. A Space
that fails stops there and says what was already written; other Spaces go on. Running
apply again converges because every step compares against freshly observed state.
"""

from __future__ import annotations

import enum
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import cached_property

from reconciler import secrets
from reconciler.diff import SERVER_OWNED_FILES, SecretProbe
from reconciler.errors import ConflictError, HubError, ReconcileError
from reconciler.hub.client import HubClient
from reconciler.hub.writes import SpaceWriter
from reconciler.manifests import resolve_secret
from reconciler.model import (
    Action,
    DesiredSpace,
    Frozen,
    ObservedSpace,
    PlanEntry,
    Rung,
    SourceFile,
    Volume,
)

TERMINAL_FAILURES = frozenset({"BUILD_ERROR", "RUNTIME_ERROR", "CONFIG_ERROR", "NO_APP_FILE"})
BUILD_FAILURES = frozenset({"BUILD_ERROR", "CONFIG_ERROR"})


class Outcome(str, enum.Enum):
    APPLIED = "applied"
    # Written and committed, but the Space showed no restart within the grace period: nothing
    # is known yet about the new version's health.
    COMMITTED = "committed"
    UNCHANGED = "unchanged"
    FAILED = "failed"
    SKIPPED = "skipped"


class SpaceResult(Frozen):
    """What apply did to one Space. `written` lists the writes that reached the Hub, so a
    failure never leaves a Space half-changed without saying so."""

    id: str
    rung: Rung
    outcome: Outcome
    message: str = ""
    commit: str | None = None
    stage: str | None = None
    attempts: int = 1
    written: tuple[str, ...] = ()
    log_tail: tuple[str, ...] = ()


@dataclass(frozen=True)
class ApplyOptions:
    wait: bool = True
    timeout_s: float = 900.0
    poll_s: float = 2.0
    rollback_on_failure: bool = False
    parallelism: int = 8
    plan_label: str = "plan"


Progress = Callable[[str, str], None]


class SpaceFailed(ReconcileError):
    def __init__(self, message: str, log_tail: tuple[str, ...] = (), stage: str | None = None) -> None:
        super().__init__(message)
        self.log_tail = log_tail
        self.stage = stage


@dataclass
class SpaceApply:
    """Applies one plan entry. Mutable only while it runs: it records what it has written."""

    client: HubClient
    entry: PlanEntry
    desired: DesiredSpace | None
    observed: ObservedSpace | None
    options: ApplyOptions
    progress: Progress
    written: list[str] = field(default_factory=list)
    commit: str | None = None

    @cached_property
    def writer(self) -> SpaceWriter:
        return SpaceWriter(self.client, self.entry.id)

    def step(self, text: str) -> None:
        self.progress(self.entry.id, text)

    def run(self) -> SpaceResult:
        try:
            stage = self._run()
        except SpaceFailed as failure:
            return self._result(Outcome.FAILED, str(failure), failure.stage, failure.log_tail)
        except (HubError, ReconcileError) as problem:
            message = str(problem)
            if isinstance(problem, ConflictError):
                message = f"{self.entry.id} changed since it was observed; nothing more was written. {problem}"
            return self._result(Outcome.FAILED, message, None, ())
        if self.entry.rung is Rung.NONE:
            return self._result(Outcome.UNCHANGED, "no changes", stage, ())
        return self._result(Outcome.APPLIED, "applied", stage, ())

    def _result(self, outcome: Outcome, message: str, stage: str | None, tail: tuple[str, ...]) -> SpaceResult:
        if outcome is Outcome.FAILED and self.written:
            message += f" (already written: {', '.join(self.written)}; run apply again to converge)"
        self.step(outcome.value if stage is None else f"{outcome.value} ({stage})")
        return SpaceResult(
            id=self.entry.id,
            rung=self.entry.rung,
            outcome=outcome,
            message=message,
            commit=self.commit,
            stage=stage,
            attempts=1 + sum(1 for space_id, _ in self.client.retries if space_id == self.entry.id),
            written=tuple(self.written),
            log_tail=tail,
        )

    # ------------------------------------------------------------------ the rungs
    def _run(self) -> str | None:
        rung = self.entry.rung
        if rung is Rung.NONE:
            return self.observed.stage if self.observed else None
        if rung is Rung.DELETE:
            self.step("deleting")
            self.writer.delete()
            self.written.append("delete")
            return None
        assert self.desired is not None
        values = self._secret_values()
        additions = self._additions()
        seeded: list[str] = []
        if rung is Rung.CREATE:
            self._create(values)
            seeded = self._seeded_files()
        else:
            self._settings(values)
        if self.entry.files or seeded:
            self._commit(additions, seeded)
        if rung is Rung.CREATE and self.desired.paused:
            self.writer.pause()  # a Space cannot be created paused: pause it once it has its files
            self.written.append("paused")
        return self._gate()

    def _secret_values(self) -> dict[str, str]:
        """Every secret value this entry writes, read before any write; missing -> fail first."""
        assert self.desired is not None
        wanted = [
            c.path.removeprefix("spec.secrets.") for c in self.entry.changes if c.path.startswith("spec.secrets.")
        ]
        values: dict[str, str] = {}
        missing = []
        for name in wanted:
            ref = self.desired.secrets.get(name)
            if ref is None:
                continue  # a removal
            value = resolve_secret(ref)
            if value is None:
                missing.append(f"{name} ({ref.describe()})")
            else:
                values[name] = value
        if missing:
            raise SpaceFailed(f"secret value not available here: {', '.join(missing)}; nothing was written")
        return values

    def _additions(self) -> list[SourceFile]:
        """The files to commit (by path, never read whole), checked against the blob ids the plan reviewed."""
        assert self.desired is not None
        by_path: dict[str, SourceFile] = {f.path: f for f in self.desired.files}
        planned = {f.path: f.oid for f in (*self.entry.files.added, *self.entry.files.modified)}
        additions = []
        for path, oid in sorted(planned.items()):
            source = by_path.get(path)
            if source is None or (oid is not None and source.blob_id != oid):
                raise SpaceFailed(f"{path} changed on disk since the plan was made; run plan again")
            additions.append(source)
        return additions

    def _fingerprinted(self, name: str, value: str) -> str:
        key = secrets.fingerprint_key()
        fp = secrets.fingerprint(key, self.entry.id, name, value) if key else None
        return secrets.describe(fp, int(time.time()))

    def _create(self, values: Mapping[str, str]) -> None:
        assert self.desired is not None
        want = self.desired
        self.step("creating")
        self.writer.create(
            sdk=want.sdk,
            hardware=want.hardware,
            sleep_time=want.sleep_time,
            visibility=want.visibility,
            secrets=[
                {"key": k, "value": v, "description": self._fingerprinted(k, v)} for k, v in sorted(values.items())
            ],
            variables=[{"key": k, "value": v} for k, v in sorted(want.variables.items())],
        )
        self.written.append("create")
        if want.volumes:
            self.writer.set_volumes(want.volumes)
            self.written.append("volumes")
        if want.dev_mode:
            self.writer.set_dev_mode(True)
            self.written.append("devMode")

    def _settings(self, values: Mapping[str, str]) -> None:
        """Settings before files, so a rebuild picks them up and the Space restarts once."""
        assert self.desired is not None
        changes = {c.path: c for c in self.entry.changes}
        writer = self.writer
        if "spec.hardware" in changes:
            self.step(f"hardware -> {self.desired.hardware}")
            writer.set_hardware(self.desired.hardware, self.desired.sleep_time)
            self.written.append("hardware")
        elif "spec.sleepTime" in changes and self.desired.sleep_time is not None:
            writer.set_sleep_time(self.desired.sleep_time)
            self.written.append("sleepTime")
        for path, change in sorted(changes.items()):
            if path.startswith("spec.variables."):
                key = path.removeprefix("spec.variables.")
                if change.after is None:
                    writer.delete_variable(key)
                else:
                    writer.set_variable(key, str(change.after))
                self.written.append(f"variable {key}")
            elif path.startswith("spec.secrets."):
                key = path.removeprefix("spec.secrets.")
                if key in values:
                    writer.set_secret(key, values[key], self._fingerprinted(key, values[key]))
                else:
                    writer.delete_secret(key)
                self.written.append(f"secret {key}")
        if any(p.startswith("spec.volumes.") for p in changes):
            writer.set_volumes(merge_volumes(writer.volumes(), self.desired.volumes))
            self.written.append("volumes")
        if "spec.visibility" in changes:
            writer.set_visibility(self.desired.visibility)
            self.written.append("visibility")
        if "spec.devMode" in changes:
            writer.set_dev_mode(self.desired.dev_mode)
            self.written.append("devMode")
        if "spec.paused" in changes:
            if self.desired.paused:
                writer.pause()
            else:
                writer.restart()
            self.written.append("paused")

    def _seeded_files(self) -> list[str]:
        """Files the Hub put in the new Space that git does not have (a static Space starts with
        index.html and style.css, hub-contract §13): the first commit removes them."""
        assert self.desired is not None
        if self.desired.sdk != "static":
            return []  # other SDKs start with README.md (ours replaces it) and .gitattributes only
        wanted = {f.path for f in self.desired.files} | SERVER_OWNED_FILES
        return [path for path in self.writer.paths() if path not in wanted]

    def _commit(self, additions: list[SourceFile], seeded: Sequence[str] = ()) -> None:
        hot = self.entry.rung is Rung.HOT_RELOAD
        parent = self.entry.observed.sha if self.entry.action is Action.UPDATE else None
        deletions = [*(f.path for f in self.entry.files.deleted), *seeded]
        self.step(f"committing {len(additions)} file(s), {len(deletions)} deletion(s)")
        self.commit = self.writer.commit(
            additions=additions,
            deletions=deletions,
            parent=parent,
            message=f"reconcile: apply {self.entry.manifest or self.entry.id}",
            description=f"Applied by spaces-reconciler from {self.options.plan_label} (rung {self.entry.rung.value}).",
            hot_reload=hot,
        )
        self.written.append(f"commit {self.commit[:12]}")
        if hot:
            self._verify_hot_reload()

    def _verify_hot_reload(self) -> None:
        # The Hub reports the reload shortly after the commit: wait until it says created for
        # this commit, or canceled, for at most a minute.
        deadline = time.monotonic() + min(self.options.timeout_s, 60.0)
        runtime = self.writer.runtime()
        while not (
            runtime.hot_reload_status == "canceled" or (runtime.hot_reload_status and runtime.sha == self.commit)
        ):
            if time.monotonic() >= deadline:
                break
            time.sleep(self.options.poll_s)
            runtime = self.writer.runtime()
        replicas_ok = bool(runtime.replica_statuses) and all(s == "created" for s in runtime.replica_statuses)
        if runtime.sha == self.commit and runtime.hot_reload_status == "created" and replicas_ok:
            self.step("hot reload created on every replica")
            return
        self.step(f"hot reload not confirmed (status {runtime.hot_reload_status}); restarting to run the new code")
        self.writer.restart()
        self.written.append("restart (hot reload fallback)")

    # ------------------------------------------------------------------ the health gate
    def _needs_wait(self) -> bool:
        if not self.options.wait or self.desired is None or self.desired.paused:
            return False
        return bool(self.entry.files) or self.entry.restarts > 0 or self.entry.rung is Rung.CREATE

    def _gate(self) -> str | None:
        if not self._needs_wait():
            return None
        try:
            return self._wait_running(self.commit or self.entry.observed.sha)
        except SpaceFailed:
            if self.options.rollback_on_failure and self.commit and self.entry.action is Action.UPDATE:
                self._rollback()
            raise

    def _wait_running(self, sha: str | None) -> str:
        deadline = time.monotonic() + self.options.timeout_s
        self.step("waiting for RUNNING")
        while True:
            runtime = self.writer.runtime()
            if runtime.stage in TERMINAL_FAILURES:
                build = runtime.stage in BUILD_FAILURES
                tail = tuple(self.writer.log_tail(build=build))
                raise SpaceFailed(
                    f"{runtime.stage}: {runtime.error or 'see the log tail'}", log_tail=tail, stage=runtime.stage
                )
            if runtime.stage == "RUNNING" and (sha is None or runtime.sha is None or runtime.sha == sha):
                return runtime.stage
            if time.monotonic() >= deadline:
                raise SpaceFailed(
                    f"timed out after {self.options.timeout_s:.0f}s waiting for RUNNING on {sha and sha[:12]} "
                    f"(stage {runtime.stage}, running {runtime.sha and runtime.sha[:12]})",
                    stage=runtime.stage,
                )
            time.sleep(self.options.poll_s)

    def _rollback(self) -> None:
        """Commit the previous files back, then wait again."""
        assert self.commit is not None and self.entry.observed.sha is not None
        previous = self.entry.observed.sha
        self.step("rolling back to the previous files")
        before = {f.path: f for f in self.observed.files} if self.observed else {}
        restore = [
            self.writer.download(before[f.path], previous)
            for f in (*self.entry.files.modified, *self.entry.files.deleted)
            if f.path in before
        ]
        self.commit = self.writer.commit(
            additions=restore,
            deletions=[f.path for f in self.entry.files.added],
            parent=self.commit,
            message=f"reconcile: roll back {self.entry.manifest or self.entry.id}",
            description="Rolled back by spaces-reconciler after a failed health gate.",
            hot_reload=False,
        )
        self.written.append(f"rollback commit {self.commit[:12]}")
        try:
            self._wait_running(self.commit)
        except SpaceFailed as again:
            self.step(f"the rolled-back version did not come up either: {again}")


def merge_volumes(live: tuple[Volume, ...], declared: tuple[Volume, ...]) -> list[Volume]:
    """Replace only the mounts the manifest declares; keep mounts added by hand (drift reports them)."""
    declared_paths = {v.mount_path for v in declared}
    kept = [v for v in live if v.mount_path not in declared_paths]
    return sorted([*kept, *declared], key=lambda v: v.mount_path)


def apply_entries(
    client: HubClient,
    entries: tuple[PlanEntry, ...],
    desired: Mapping[str, DesiredSpace],
    observed: Mapping[str, ObservedSpace],
    options: ApplyOptions,
    progress: Progress,
) -> tuple[SpaceResult, ...]:
    """Apply every entry, `parallelism` Spaces at a time; one failing Space never stops the others."""

    def one(entry: PlanEntry) -> SpaceResult:
        return SpaceApply(client, entry, desired.get(entry.id), observed.get(entry.id), options, progress).run()

    with ThreadPoolExecutor(max_workers=max(1, options.parallelism)) as pool:
        results = list(pool.map(one, entries))
    return tuple(sorted(results, key=lambda r: r.id))


__all__ = ["ApplyOptions", "Outcome", "SecretProbe", "SpaceResult", "apply_entries", "merge_volumes"]
