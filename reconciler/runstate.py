"""What one Space's apply knows while its steps run: the inputs, and the record of what reached the Hub.

The executor passes it to each step's handler; handlers read the inputs and add to the record.
The record (writes, commit, verdict, verification, failure, rollback) is all apply reports.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from reconciler.gate import Verdict
from reconciler.hub.cache import TreeCache
from reconciler.hub.writes import SpaceWriter
from reconciler.model import Action, DesiredSpace, ObservedSpace, PlanEntry, RemoteFile, SourceFile
from reconciler.results import ApplyOptions, RollbackReason, SpaceFailed, Write, WriteKind
from reconciler.verify.api import Connect
from reconciler.verify.outcomes import CheckResult
from reconciler.verify.runner import Live, Session


@dataclass
class Rollback:
    reason: RollbackReason
    commit: str
    verdict: Verdict | None = None  # of the health gate on the rolled-back files


@dataclass
class RunState:
    writer: SpaceWriter
    entry: PlanEntry
    desired: DesiredSpace | None
    observed: ObservedSpace | None
    options: ApplyOptions
    say: Callable[[str], None]
    writes: list[Write] = field(default_factory=list)
    commit: str | None = None
    values: dict[str, str] = field(default_factory=dict)  # secret values read by CheckSecrets; kept in memory only
    additions: list[SourceFile] = field(default_factory=list)
    seeded: list[str] = field(default_factory=list)  # files the Hub put in a new Space that git does not have
    reloaded: bool = False  # a hot reload confirmed: the new code runs without a restart
    restarted: bool = False  # a restart or build was asked for since the last gate
    verdict: Verdict | None = None
    wait_announced: bool = False  # "waiting for the new version" said when handed to the fleet gate
    verification: list[CheckResult] = field(default_factory=list)
    failure: SpaceFailed | None = None
    rollback: Rollback | None = None
    cache: TreeCache | None = None  # where each commit's tree is written for the next plan
    # The files at the Space's head as far as they are known exactly: the tree the plan read at the
    # commit apply builds on, then each commit's (None once unknown, e.g. for a new Space).
    tree: dict[str, RemoteFile] | None = None
    # Verification (reconciler/verify/step.py): the Hub reads, the API port (None: gradio_client),
    # the token sent to the app, and the session open across the Verify steps.
    live: Live | None = None
    connect: Connect | None = None
    token: str | None = None
    verify_session: Session | None = None
    cleanups: list[Callable[[], None]] = field(default_factory=list)  # run when the last step has run

    def __post_init__(self) -> None:
        entry, observed = self.entry, self.observed
        known = entry.action is Action.UPDATE and observed is not None and observed.sha == entry.observed.sha
        self.tree = {f.path: f for f in observed.files} if known and observed else None

    @property
    def space_id(self) -> str:
        return self.entry.id

    def wrote(self, kind: WriteKind, subject: str | None = None, *, restarts: bool = False) -> None:
        self.writes.append(Write(kind=kind, subject=subject))
        self.restarted = self.restarted or restarts
