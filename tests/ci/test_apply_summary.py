"""The apply job: a per-Space summary, and any failed Space fails the job after reporting."""

from __future__ import annotations

from pathlib import Path

from reconciler.localhub import LocalHub
from tests.ci.conftest import Actions


def test_apply_summarises_every_space(hub: LocalHub, fleet: Path, actions: Actions) -> None:
    run = actions.run("apply", args="--timeout 60s")
    assert (run.run_code, run.report_code) == (0, 0), run.log
    assert run.outputs["exitcode"] == "0" and run.outputs["changes"] == "true"
    assert run.summary.startswith("## Spaces apply: manifests")
    assert run.summary.count("| applied |") == 5
    assert actions.github.requests == []  # a push: nothing to comment on

    again = actions.run("apply", args="--timeout 60s")
    assert again.report_code == 0 and again.outputs["changes"] == "false"


def test_a_failed_space_fails_the_job_with_its_log(hub: LocalHub, fleet: Path, actions: Actions) -> None:
    requirements = fleet / "manifests" / "apps" / "regional-demo" / "requirements.txt"
    requirements.write_text("# localhub: build-error\n")
    run = actions.run("apply", args="--timeout 60s")
    assert run.run_code == 0 and run.report_code == 1
    assert run.outputs["exitcode"] == "1"
    assert "❌" in run.summary and "local-org/regional-demo-eu" in run.summary
    assert "```text" in run.summary  # the build log tail of the failure
    assert "::error::local-org/regional-demo-eu" in run.log
    assert "| applied |" in run.summary  # the other Spaces went on


def test_apply_changes_are_read_from_the_outcomes_not_from_text() -> None:
    from reconciler.apply import Outcome
    from reconciler.ci.main import _outcomes

    # A message quoting the words of another outcome must not count as a change.
    quoted = '{"results": [{"outcome": "unchanged", "message": "was \\"outcome\\": \\"applied\\""}]}'
    assert _outcomes(quoted, "results", Outcome) == {Outcome.UNCHANGED}
    assert _outcomes('{"results": [{"outcome": "committed"}]}', "results", Outcome) == {Outcome.COMMITTED}
    assert _outcomes("not json", "results", Outcome) == set()
