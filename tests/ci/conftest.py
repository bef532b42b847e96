"""Run the action's Python steps as the runner does: a GitHub event payload on disk, fresh
GITHUB_OUTPUT / GITHUB_STEP_SUMMARY files per step, inputs as INPUT_* variables, the local Hub
(`hub` fixture) and a local fake of the GitHub REST API."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from unittest import mock

import pytest

from reconciler.ci.context import load_context
from reconciler.ci.main import main as ci_main
from tests.ci.fake_github import BOT, WRITE_TOKEN, FakeGitHub, serve
from tests.conftest import has_canary
from tests.e2e.conftest import fleet, hub  # noqa: F401  (fixtures)

REPOSITORY = "acme/fleet"
HEAD_SHA = "a1b2c3d4e5f60718293a4b5c6d7e8f9012345678"


@pytest.fixture
def github() -> Iterator[FakeGitHub]:
    fake, server = serve()
    yield fake
    server.shutdown()
    server.server_close()
    # Summary, comment, issue bodies and titles: every request body, in any escaping.
    leaked = [r for r in fake.requests if has_canary(json.dumps(r.body, ensure_ascii=False))]
    assert not leaked, f"a secret value was sent to GitHub: {[(r.method, r.path) for r in leaked]}"


@dataclass
class StepRun:
    run_code: int
    report_code: int
    outputs: dict[str, str]
    summary: str
    log: str


def parse_outputs(text: str) -> dict[str, str]:
    outputs: dict[str, str] = {}
    lines = iter(text.splitlines())
    for line in lines:
        name, delimiter = line.split("<<", 1)
        value = []
        for inner in lines:
            if inner == delimiter:
                break
            value.append(inner)
        outputs[name] = "\n".join(value)
    return outputs


class Actions:
    """One job on a runner: `event()` sets the trigger, `run()` runs the action's two Python steps."""

    def __init__(self, root: Path, github: FakeGitHub, capfd: pytest.CaptureFixture[str]) -> None:
        self.root = root
        self.github = github
        self.capfd = capfd
        self.env: dict[str, str] = {
            "GITHUB_ACTIONS": "true",
            "GITHUB_API_URL": github.url,
            "GITHUB_SERVER_URL": "https://github.example",
            "GITHUB_REPOSITORY": REPOSITORY,
            "GITHUB_RUN_ID": "4242",
            "GITHUB_RUN_ATTEMPT": "1",
            "GITHUB_JOB": "plan",
            "GITHUB_SHA": "f" * 40,
            "RUNNER_TEMP": str(root / "runner-temp"),
        }
        self.runs = 0
        self.push()

    def event(self, name: str, payload: dict[str, Any]) -> None:
        path = self.root / f"event-{name}.json"
        path.write_text(json.dumps(payload), encoding="utf-8")
        self.env.update(GITHUB_EVENT_NAME=name, GITHUB_EVENT_PATH=str(path))

    def pull_request(
        self, number: int = 7, head_sha: str = HEAD_SHA, fork: bool = False, event: str = "pull_request"
    ) -> None:
        head_repo = "someone/fleet-fork" if fork else REPOSITORY
        pr = {
            "number": number,
            "head": {"sha": head_sha, "repo": {"full_name": head_repo}},
            "base": {"repo": {"full_name": REPOSITORY}},
        }
        self.event(event, {"action": "synchronize", "number": number, "pull_request": pr})

    def push(self) -> None:
        self.event("push", {"ref": "refs/heads/main", "repository": {"full_name": REPOSITORY}})

    def run(
        self,
        command: str,
        *,
        path: str = "manifests",
        args: str = "",
        comment: str = "auto",
        github_token: str = WRITE_TOKEN,
        extra_env: dict[str, str] | None = None,
        phases: tuple[str, ...] = ("run", "report"),
    ) -> StepRun:
        self.runs += 1
        step_dir = self.root / f"step-{self.runs}"
        step_dir.mkdir()
        inputs = {
            "INPUT_COMMAND": command,
            "INPUT_PATH": path,
            "INPUT_ARGS": args,
            "INPUT_COMMENT": comment,
            "INPUT_GITHUB_TOKEN": github_token,
        }
        codes = {"run": 0, "report": 0}  # a phase left out counts as passed
        outputs: dict[str, str] = {}
        summary = ""
        self.capfd.readouterr()
        for phase in phases:
            output_file, summary_file = step_dir / f"{phase}.output", step_dir / f"{phase}.summary"
            output_file.touch()
            summary_file.touch()
            env = {**self.env, **inputs, **(extra_env or {})}
            env.update(GITHUB_OUTPUT=str(output_file), GITHUB_STEP_SUMMARY=str(summary_file))
            if phase == "report":
                env["ARTIFACT_URL"] = "https://github.example/acme/fleet/actions/runs/4242/artifacts/99"
                env.pop("INPUT_HF_TOKEN", None)
            with mock.patch.dict(os.environ, env):
                try:
                    ci_main([phase])
                except SystemExit as done:
                    codes[phase] = done.code if isinstance(done.code, int) else 1
            outputs.update(parse_outputs(output_file.read_text("utf-8")))
            summary += summary_file.read_text("utf-8")
        captured = self.capfd.readouterr()
        log = captured.out + captured.err
        print(log)  # visible on failure; the canary check reads captured output too
        # The step summary, outputs and log (annotations included), in any escaping.
        for text in (summary, json.dumps(outputs, ensure_ascii=False), log):
            assert not has_canary(text)
        return StepRun(codes["run"], codes["report"], outputs, summary, log)

    def comments(self, number: int = 7, user: str = BOT) -> list[dict[str, Any]]:
        return [c for c in self.github.comments.get(number, []) if c["user"]["login"] == user]

    def workdir(self, command: str, path: str = "manifests", args: str = "") -> Path:
        """Where the action keeps what `run` leaves for `report` (reconciler.ci.context)."""
        env = {**self.env, "INPUT_COMMAND": command, "INPUT_PATH": path, "INPUT_ARGS": args}
        return load_context(env).workdir


@pytest.fixture
def actions(tmp_path: Path, github: FakeGitHub, capfd: pytest.CaptureFixture[str]) -> Actions:
    return Actions(tmp_path, github, capfd)
