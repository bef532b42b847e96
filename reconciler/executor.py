"""Runs one Space's steps (reconciler/steps.py) and records what reached the Hub.

Each step is one method; the order is the list's. The first failing step stops the list
(a Rollback after a failed health gate still runs), and the result names every write already
made. Nothing is remembered between runs: apply plans from a fresh observation, so a second
run takes only the steps still needed and resumes where a failure stopped the first.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from reconciler import secrets
from reconciler.diff import SERVER_OWNED_FILES
from reconciler.gate import HealthGate, Verdict
from reconciler.health import Stage
from reconciler.hotreload import ReloadCheck, check_reload
from reconciler.hub import status as hub_status
from reconciler.hub.cache import TreeCache
from reconciler.hub.writes import SpaceWriter
from reconciler.manifests import resolve_secret
from reconciler.model import (
    Action,
    CheckFiles,
    CheckSecrets,
    Commit,
    CreateSpace,
    DeleteSpace,
    DesiredSpace,
    ObservedSpace,
    Pause,
    PlanEntry,
    RemoteFile,
    Resume,
    Rollback,
    SetDevMode,
    SetHardware,
    SetSecrets,
    SetSleepTime,
    SetVariables,
    SetVisibility,
    SetVolumes,
    SourceFile,
    Step,
    VerifyHotReload,
    Volume,
    WaitHealthy,
)  # fmt: skip
from reconciler.results import ApplyOptions, SpaceFailed

# How long a build or start is expected to take, by what the gate waits for: sets its backoff.
EXPECTED_BUILD_S = {True: 120.0, False: 30.0}


class Executor:
    def __init__(
        self,
        writer: SpaceWriter,
        gate: HealthGate,
        entry: PlanEntry,
        desired: DesiredSpace | None,
        observed: ObservedSpace | None,
        options: ApplyOptions,
        say: Callable[[str], None],
        *,
        cache: TreeCache | None = None,
    ) -> None:
        self.writer, self.gate, self.entry, self.desired, self.observed = writer, gate, entry, desired, observed
        self.options, self.say, self.cache = options, say, cache
        # The files at the Space's head as far as they are known exactly: the tree the plan read at the
        # commit apply builds on, then each commit's (None once unknown, e.g. for a new Space).
        known = entry.action is Action.UPDATE and observed is not None and observed.sha == entry.observed.sha
        self.tree: dict[str, RemoteFile] | None = {f.path: f for f in observed.files} if known and observed else None
        self.written: list[str] = []
        self.commit: str | None = None
        self.values: dict[str, str] = {}
        self.additions: list[SourceFile] = []
        self.seeded: list[str] = []  # files the Hub put in a new Space that git does not have
        self.reloaded = False  # a hot reload confirmed: the new code runs without a restart
        self.restarted = False  # a restart or build was asked for since the last gate
        self.verdict: Verdict | None = None

    def run(self, steps: list[Step]) -> None:
        failure: SpaceFailed | None = None
        for step in steps:
            if isinstance(step, Rollback):
                if failure is not None and self.commit is not None:
                    self.rollback(failure)
                continue
            if failure is not None:
                break
            try:
                getattr(self, "do_" + step.kind.replace("-", "_"))(step)
            except SpaceFailed as problem:
                failure = problem
        if failure is not None:
            raise failure

    def _wrote(self, what: str) -> None:
        self.written.append(what)

    def do_check_secrets(self, step: CheckSecrets) -> None:
        assert self.desired is not None
        missing = []
        for name in step.names:
            ref = self.desired.secrets[name]
            value = resolve_secret(ref)
            if value is None:
                missing.append(f"{name} ({ref.describe()})")
            else:
                self.values[name] = value
        if missing:
            raise SpaceFailed(f"secret value not available here: {', '.join(missing)}; nothing was written")

    def do_check_files(self, step: CheckFiles) -> None:
        assert self.desired is not None
        by_path = {f.path: f for f in self.desired.files}
        for planned in sorted((*self.entry.files.added, *self.entry.files.modified), key=lambda f: f.path):
            source = by_path.get(planned.path)
            if source is None or (planned.oid is not None and source.blob_id != planned.oid):
                raise SpaceFailed(f"{planned.path} changed on disk since the plan was made; run plan again")
            self.additions.append(source)  # by path: the commit streams it from disk

    def _described(self, name: str) -> str:
        key = secrets.fingerprint_key()
        value = self.values[name]
        return secrets.describe(secrets.fingerprint(key, self.entry.id, name, value) if key else None, int(time.time()))

    def do_create(self, step: CreateSpace) -> None:
        self.say("creating")
        self.writer.create(
            sdk=step.sdk,
            hardware=step.hardware,
            sleep_time=step.sleep_time,
            visibility=step.visibility,
            secrets=[{"key": k, "value": self.values[k], "description": self._described(k)} for k in step.secrets],
            variables=[{"key": k, "value": v} for k, v in step.variables.items()],
        )
        self._wrote("create")
        self.restarted = True
        if self.desired is not None and self.desired.sdk == "static":
            # A static Space starts with index.html and style.css (hub-contract §13): the first
            # commit removes those git does not have.
            wanted = {f.path for f in self.desired.files} | SERVER_OWNED_FILES
            self.seeded = [path for path in self.writer.paths() if path not in wanted]

    def do_delete(self, step: DeleteSpace) -> None:
        self.say("deleting")
        self.writer.delete()
        self._wrote("delete")

    def do_set_hardware(self, step: SetHardware) -> None:
        self.say(f"hardware -> {step.flavor}")
        self.writer.set_hardware(step.flavor, step.sleep_time)
        self._wrote("hardware")
        self.restarted = True

    def do_set_sleep_time(self, step: SetSleepTime) -> None:
        self.writer.set_sleep_time(step.seconds)
        self._wrote("sleepTime")

    def do_set_variables(self, step: SetVariables) -> None:
        for key, value in step.set.items():
            self.writer.set_variable(key, value)
            self._wrote(f"variable {key}")
        for key in step.delete:
            self.writer.delete_variable(key)
            self._wrote(f"variable {key}")
        self.restarted = True

    def do_set_secrets(self, step: SetSecrets) -> None:
        for key in step.set:
            self.writer.set_secret(key, self.values[key], self._described(key))
            self._wrote(f"secret {key}")
        for key in step.delete:
            self.writer.delete_secret(key)
            self._wrote(f"secret {key}")
        self.restarted = True

    def do_set_volumes(self, step: SetVolumes) -> None:
        live = self.writer.volumes() if self.entry.action is Action.UPDATE else ()
        self.writer.set_volumes(merge_volumes(live, step.volumes))
        self._wrote("volumes")
        self.restarted = True

    def do_set_visibility(self, step: SetVisibility) -> None:
        self.writer.set_visibility(step.visibility)
        self._wrote("visibility")

    def do_set_dev_mode(self, step: SetDevMode) -> None:
        self.writer.set_dev_mode(step.enabled)
        self._wrote("devMode")
        self.restarted = True

    def do_commit(self, step: Commit) -> None:
        entry = self.entry
        deletions = [*(f.path for f in entry.files.deleted), *self.seeded]
        self.say(f"committing {len(self.additions)} file(s), {len(deletions)} deletion(s)")
        self.commit = self.writer.commit(
            additions=self.additions,
            deletions=deletions,
            parent=entry.observed.sha if entry.action is Action.UPDATE else None,
            message=f"reconcile: apply {entry.manifest or entry.id}",
            description=f"Applied by spaces-reconciler from {self.options.plan_label} (rung {entry.rung.value}).",
            hot_reload=step.hot_reload,
        )
        self._wrote(f"commit {self.commit[:12]}")
        self._remember_tree(deletions)
        self.restarted = self.restarted or not step.hot_reload

    def do_verify_hot_reload(self, step: VerifyHotReload) -> None:
        assert self.commit is not None
        client = self.writer.client
        check = check_reload(
            lambda: hub_status.read_status(client, self.entry.id),
            lambda status: hub_status.reload_problems(client, status, self.commit or ""),
            self.commit,
            wait_s=min(self.options.timeout_s, 60.0),
            poll_s=self.options.poll_s,
        )
        if check.confirmed:
            self.say("hot reload confirmed on every replica")
            self.reloaded = True
            return
        self.say(f"hot reload not confirmed ({_unconfirmed(check)}); restarting to run the new code")
        for problem in check.problems:  # the replica's own report, as `hf spaces hot-reload` shows it
            self.say(f"replica {problem.replica}: {problem.kind} at {problem.region or 'an unknown place'}:")
            for line in problem.traceback.rstrip("\n").splitlines():
                self.say(f"  | {line}")
        self.writer.restart()
        self._wrote("restart (hot reload fallback)")
        self.restarted = True

    def do_pause(self, step: Pause) -> None:
        self.writer.pause()
        self._wrote("paused")

    def do_resume(self, step: Resume) -> None:
        self.writer.restart()
        self._wrote("resumed")
        self.restarted = True

    def do_wait_healthy(self, step: WaitHealthy, before: Stage | None = None) -> None:
        """`before`: the stage the Space showed before the change (default: as observed by the plan)."""
        if not self.options.wait:
            return
        if self.reloaded and not self.restarted:
            self.verdict = Verdict.RUNNING  # confirmed by every replica's reload events
            return
        self.say("waiting for the new version to run")
        if before is None:
            before = self._before()
        rebuild = self.entry.action is Action.CREATE or (bool(self.entry.files) and not self.reloaded)
        result = self.gate.wait(self.entry.id, self.commit, before, EXPECTED_BUILD_S[rebuild])
        self.verdict, self.restarted = result.verdict, False
        stage = result.status.stage if result.status else None
        if result.verdict is Verdict.FAILED and stage is not None:
            tail = tuple(self.writer.log_tail(build=stage.build_failed))
            error = result.status.error if result.status else None
            raise SpaceFailed(f"{stage.value}: {error or 'see the log tail'}", log_tail=tail, stage=stage)
        if result.verdict is Verdict.TIMED_OUT:
            raise SpaceFailed(
                f"timed out after {self.options.timeout_s:.0f}s waiting for RUNNING on "
                f"{(self.commit or 'the restart')[:12]} (stage {stage.value if stage else 'unknown'})",
                stage=stage,
            )

    def _before(self) -> Stage | None:
        if self.entry.action is Action.CREATE:
            return Stage.NO_APP_FILE  # what a new, empty Space shows until its first build
        if self.desired is not None and self.desired.sdk == "static":
            return None  # a static Space serves a commit without a build: no transition to wait for
        return self.observed.stage if self.observed else None

    def _remember_tree(self, deletions: list[str]) -> None:
        """Write the new commit's tree to the tree cache from what it sent, so the next plan need not
        read it: the parent's files, minus the deletions, plus each addition as the Hub stored it.
        Only for a commit whose parent tree is known (an update, not a new Space's first commit)."""
        stored = self.writer.stored
        if self.tree is None or stored is None or self.commit is None:
            self.tree = None
            return
        tree = {path: f for path, f in self.tree.items() if path not in set(deletions)}
        tree.update((f.path, f) for f in stored)
        self.tree = tree
        if self.cache is not None:
            self.cache.put(self.commit, tuple(sorted(tree.values(), key=lambda f: f.path)), derived=True)

    def rollback(self, failure: SpaceFailed) -> None:
        """Commit the previous files back, then wait again; the original failure stands."""
        assert self.commit is not None and self.entry.observed.sha is not None
        self.say("rolling back to the previous files")
        before = {f.path: f for f in self.observed.files} if self.observed else {}
        restore = [
            self.writer.download(before[f.path], self.entry.observed.sha)
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
        self._wrote(f"rollback commit {self.commit[:12]}")
        self._remember_tree([f.path for f in self.entry.files.added])
        self.restarted = True
        try:
            self.do_wait_healthy(WaitHealthy(), before=failure.stage)
        except SpaceFailed as again:
            self.say(f"the rolled-back version did not come up either: {again}")


def _unconfirmed(check: ReloadCheck) -> str:
    if check.problems:
        first = check.problems[0]
        where = f" at {first.region}" if first.region else ""
        last = (first.traceback.strip().splitlines() or [""])[-1]
        return f"replica {first.replica}: {first.kind}{where}: {last}"
    return f"{check.why.value if check.why else 'unknown'} {check.detail}".strip()


def merge_volumes(live: tuple[Volume, ...], declared: tuple[Volume, ...]) -> list[Volume]:
    """Replace only the mounts the manifest declares; keep mounts added by hand (drift reports them)."""
    declared_paths = {v.mount_path for v in declared}
    kept = [v for v in live if v.mount_path not in declared_paths]
    return sorted([*kept, *declared], key=lambda v: v.mount_path)
