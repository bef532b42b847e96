"""What the workflow gave us: the action's inputs and the GitHub Actions environment."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shlex
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from reconciler.errors import UserError

COMMANDS = ("plan", "apply", "drift", "preview-up", "preview-down")
PULL_REQUEST_EVENTS = ("pull_request", "pull_request_target")


# Commands that write to the Hub, or run the pull request's code with the Hub write token.
WRITING = ("apply", "preview-up", "preview-down")


@dataclass(frozen=True)
class PullRequest:
    number: int
    head_sha: str
    # The head branch lives in another repository: its code is a stranger's.
    from_fork: bool
    head_repository: str = ""


@dataclass(frozen=True)
class Context:
    command: str
    path: str
    args: tuple[str, ...]
    comment: bool
    github_token: str
    api_url: str
    server_url: str
    repository: str
    event_name: str
    sha: str
    run_id: str
    run_attempt: str
    job: str
    pull_request: PullRequest | None
    workdir: Path
    summary_file: Path | None
    output_file: Path | None

    @property
    def scope(self) -> str:
        """What one comment, issue or summary is about: the path, and the shard of a matrix job."""
        shard = _option(self.args, "--shard")
        return f"{self.path} (shard {shard})" if shard else self.path

    @property
    def run_url(self) -> str:
        return f"{self.server_url}/{self.repository}/actions/runs/{self.run_id}" if self.run_id else ""

    def commit_url(self, sha: str) -> str:
        return f"{self.server_url}/{self.repository}/commit/{sha}"

    @property
    def key(self) -> str:
        """Tells uses of the action apart within one run (matrix jobs differ by their args)."""
        text = json.dumps([self.job, self.command, self.path, self.args, self.run_attempt])
        return hashlib.sha256(text.encode()).hexdigest()[:10]

    @property
    def artifact_name(self) -> str:
        slug = re.sub(r"[^A-Za-z0-9_.-]+", "-", self.path).strip("-") or "manifests"
        return f"spaces-{self.command}-{slug}-{self.key}"


def _pull_request(event_name: str, event: Mapping[str, Any]) -> PullRequest | None:
    pr = event.get("pull_request")
    if event_name not in PULL_REQUEST_EVENTS or not isinstance(pr, dict):
        return None
    head_repo = (pr.get("head") or {}).get("repo") or {}
    base_repo = (pr.get("base") or {}).get("repo") or event.get("repository") or {}
    # A deleted fork has no head repository: treat it as a fork, never as trusted.
    from_fork = not head_repo or head_repo.get("full_name") != base_repo.get("full_name")
    head_sha = str((pr.get("head") or {}).get("sha") or "")
    return PullRequest(int(pr["number"]), head_sha, from_fork, str(head_repo.get("full_name") or ""))


def fork_refusal(context: Context) -> str | None:
    """Why this run must not go on, or None: no write to the Hub for a fork's pull request.

    On `pull_request` a fork's job has no secrets, but on `pull_request_target` it has them
    all while the checked-out manifests and app code may
    be the fork's: a preview would build and start a stranger's code with our secrets, and an
    apply would deploy it. Refused here, whatever the workflow's `if:` says.
    """
    pr = context.pull_request
    if pr is None or not pr.from_fork or context.command not in WRITING:
        return None
    head = pr.head_repository or "a deleted repository"
    return (
        f"refusing `{context.command}` for pull request #{pr.number}: its head is a fork ({head}), and a fork's "
        "code must never run with the Hub write token or the Space secrets; previews and apply run only for "
        "pull requests from this repository (plan works on forks, with secrets unknown)"
    )


def _option(args: tuple[str, ...], name: str) -> str | None:
    for index, arg in enumerate(args):
        if arg == name and index + 1 < len(args):
            return args[index + 1]
        if arg.startswith(name + "="):
            return arg.split("=", 1)[1]
    return None


def _flag(value: str, default: bool) -> bool:
    text = value.strip().lower()
    if text in ("", "auto"):
        return default
    if text in ("true", "yes", "1", "on"):
        return True
    if text in ("false", "no", "0", "off"):
        return False
    raise UserError(f"input comment: {value!r}: expected true, false or auto")


def load_context(env: Mapping[str, str] | None = None) -> Context:
    env = os.environ if env is None else env
    command = env.get("INPUT_COMMAND", "plan").strip() or "plan"
    if command not in COMMANDS:
        raise UserError(f"input command: {command!r}: expected one of {', '.join(COMMANDS)}")
    event_name = env.get("GITHUB_EVENT_NAME", "")
    event: dict[str, Any] = {}
    if env.get("GITHUB_EVENT_PATH") and Path(env["GITHUB_EVENT_PATH"]).is_file():
        event = json.loads(Path(env["GITHUB_EVENT_PATH"]).read_text("utf-8"))
    pull_request = _pull_request(event_name, event)
    temp = Path(env.get("RUNNER_TEMP") or ".reconcile")
    partial = Context(
        command=command,
        path=env.get("INPUT_PATH", "").strip() or "manifests",
        args=tuple(shlex.split(env.get("INPUT_ARGS", ""))),
        # auto: comment on pull requests; the drift issue is kept on every run of `drift`.
        comment=_flag(env.get("INPUT_COMMENT", "auto"), default=pull_request is not None or command == "drift"),
        github_token=env.get("INPUT_GITHUB_TOKEN", "") or env.get("GITHUB_TOKEN", ""),
        api_url=(env.get("GITHUB_API_URL") or "https://api.github.com").rstrip("/"),
        server_url=(env.get("GITHUB_SERVER_URL") or "https://github.com").rstrip("/"),
        repository=env.get("GITHUB_REPOSITORY", ""),
        event_name=event_name,
        sha=env.get("GITHUB_SHA", ""),
        run_id=env.get("GITHUB_RUN_ID", ""),
        run_attempt=env.get("GITHUB_RUN_ATTEMPT", "1"),
        job=env.get("GITHUB_JOB", ""),
        pull_request=pull_request,
        workdir=temp,
        summary_file=Path(env["GITHUB_STEP_SUMMARY"]) if env.get("GITHUB_STEP_SUMMARY") else None,
        output_file=Path(env["GITHUB_OUTPUT"]) if env.get("GITHUB_OUTPUT") else None,
    )
    return replace(partial, workdir=temp / "spaces-reconciler" / partial.key)
