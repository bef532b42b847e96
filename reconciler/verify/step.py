"""The Verify steps of apply: each check of spec.verify, after the health gate, with the same
check code as `reconcile verify` (reconciler/verify/runner.py).

A failed check stops the Space's steps as verify-failed, with the check's evidence in the
run's record; --rollback-on-failure then commits the previous files back. Nothing is verified
when nothing is known to run the new version (--no-wait, or no restart seen within the grace
period). The session (deadline, API connection, download folder) opens at the first Verify step
and closes when the run ends.
"""

from __future__ import annotations

from reconciler.gate import Verdict
from reconciler.health import Stage
from reconciler.model import Verify
from reconciler.results import Failure, SpaceFailed
from reconciler.runstate import RunState
from reconciler.verify.fleet import secret_values
from reconciler.verify.outcomes import CheckResult, Status
from reconciler.verify.runner import Redactor, Session


def _session(run: RunState) -> Session:
    if isinstance(run.verify_session, Session):
        return run.verify_session
    assert run.desired is not None and run.desired.verify is not None and run.live is not None
    connect = run.connect
    if connect is None:
        # gradio_client is imported only when a Space is verified.
        from reconciler.verify.gradio_api import connect as gradio_connect

        connect = gradio_connect(run.token)
    redact = Redactor([*secret_values(run.desired), *run.values.values(), *([run.token] if run.token else [])])
    session = Session(run.space_id, run.desired.verify, run.live, connect, redact)
    run.verify_session = session
    run.cleanups.append(session.close)
    # The gate judged the new version RUNNING, or a confirmed hot reload stood for it; the app
    # may still be starting its new code (the local Hub relaunches a hot-reloaded app).
    running = session.running()
    if running.status is not Status.PASSED:
        run.verification.append(running)
        raise SpaceFailed("verification failed: running", Failure.VERIFY_FAILED, stage=Stage.parse(running.target))
    return session


def _results(session: Session, step: Verify) -> list[CheckResult]:
    if step.check == "logs.expect":
        return session.expect_logs()
    if step.check == "logs.forbid":
        return session.forbid_logs()
    if step.check == "endpoints":
        return session.endpoints()
    assert step.call is not None
    return session.smoke(session.spec.smoke[step.call])


def verify(run: RunState, step: Verify) -> None:
    if not run.options.wait or run.verdict is not Verdict.RUNNING:
        return
    results = _results(_session(run), step)
    run.verification.extend(results)
    failed = [r for r in results if r.status is not Status.PASSED]
    if failed:
        first = failed[0]
        what = f"{first.check.value} {first.target}".rstrip()
        raise SpaceFailed(f"verification failed: {what}", Failure.VERIFY_FAILED, stage=Stage.RUNNING)
