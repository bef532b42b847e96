"""`python -m reconciler.ci run|report`: the two Python steps of action.yml.

`run` executes the reconcile command in-process (through the CLI's own error boundary, so the
log shows exactly what a user sees), keeps its JSON output in a work folder and sets the step
outputs; it fails only on a bug of its own. `report` publishes (comment, issue, summary) and then
fails the step when the command failed, so a failed apply still leaves its per-Space summary.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import sys
from collections.abc import Sequence
from enum import Enum
from pathlib import Path
from typing import Any, TypeVar

from reconciler.apply import Outcome
from reconciler.ci import auth, redact
from reconciler.ci.context import Context, fork_refusal, load_context
from reconciler.ci.publish import publish
from reconciler.ci.summary import annotate, set_outputs
from reconciler.cli import main as cli_main
from reconciler.errors import ReconcileError
from reconciler.manifests import load_manifests
from reconciler.preview import PreviewOutcome

STATE = "state.json"
# Outcomes of apply that wrote to the Hub.
CHANGED = {Outcome.APPLIED, Outcome.COMMITTED, Outcome.VERIFY_FAILED, Outcome.ROLLED_BACK}
OutcomeT = TypeVar("OutcomeT", bound=Enum)


def invoke(argv: Sequence[str], capture: bool = False) -> tuple[int, str]:
    """Run `reconcile ARGV` in-process; returns (exit code, stdout if captured)."""
    print(f"$ reconcile {' '.join(argv)}", flush=True)
    buffer = io.StringIO()
    redirect = contextlib.redirect_stdout(buffer) if capture else contextlib.nullcontext()
    with redirect:
        try:
            cli_main(list(argv))
            code = 0
        except SystemExit as done:
            code = done.code if isinstance(done.code, int) else 1
    return code, buffer.getvalue()


def space_ids(path: str) -> list[str]:
    result = load_manifests([Path(path)])
    return [space.id for space in result.spaces] if result.ok else []


def _pr_args(context: Context) -> list[str]:
    if "--pr" in context.args or any(a.startswith("--pr=") for a in context.args):
        return []
    if context.pull_request is None:
        raise ReconcileError(f"{context.command} needs a pull request: run it on pull_request events or pass --pr N")
    return ["--pr", str(context.pull_request.number)]


def run_command(context: Context) -> dict[str, Any]:
    """Run the command; returns the state `report` needs (paths of outputs, exit code)."""
    work = context.workdir
    for stale in ("plan.json", "drift.json", "apply.json", "previews.json"):
        (work / stale).unlink(missing_ok=True)  # a re-run in the same job must not report old output
    path, args = context.path, list(context.args)
    state: dict[str, Any] = {"command": context.command, "path": path}
    if context.command == "plan":
        out = work / "plan.json"
        code, _ = invoke(["plan", path, "--out", str(out), *args])
        changes = False
        if code in (0, 2) and out.is_file():
            summary = json.loads(out.read_text("utf-8")).get("summary") or {}
            changes = any(count for rung, count in summary.items() if rung != "none")
        exitcode = 1 if code not in (0, 2) else (2 if changes else 0)
        _scrub(out)
        state.update(artifact=str(out) if out.is_file() else "", exitcode=exitcode, changes=changes)
    elif context.command == "apply":
        code, stdout = invoke(["apply", path, "--auto-approve", "--format", "json", *args], capture=True)
        state.update(_keep(work / "apply.json", stdout), exitcode=code)
        state["changes"] = bool(_outcomes(stdout, "results", Outcome) & CHANGED)
    elif context.command == "drift":
        out = work / "drift.json"
        code, _ = invoke(["drift", path, "--format", "json", "--out", str(out), "--detailed-exitcode", *args])
        _scrub(out)
        state.update(artifact=str(out) if out.is_file() else "", exitcode=code)
    else:
        verb = "up" if context.command == "preview-up" else "down"
        argv = ["preview", verb, *_pr_args(context), path, "--format", "json", *args]
        code, stdout = invoke(argv, capture=True)
        state.update(_keep(work / "previews.json", stdout), exitcode=code)
        changed = {PreviewOutcome.APPLIED, PreviewOutcome.DELETED}
        state["changes"] = bool(_outcomes(stdout, "previews", PreviewOutcome) & changed)
    state.setdefault("changes", state["exitcode"] == 2)
    return state


def _outcomes(stdout: str, key: str, vocabulary: type[OutcomeT]) -> set[OutcomeT]:
    """The outcomes a command's JSON output reports, read as its own vocabulary (unknown ones ignored)."""
    try:
        document = json.loads(stdout)
    except json.JSONDecodeError:
        return set()
    items = document.get(key) if isinstance(document, dict) else None
    found: set[OutcomeT] = set()
    for item in items if isinstance(items, list) else []:
        value = item.get("outcome") if isinstance(item, dict) else None
        if value in {member.value for member in vocabulary}:
            found.add(vocabulary(value))
    return found


def _keep(file: Path, stdout: str) -> dict[str, str]:
    """Keep a command's JSON stdout in a file, and show it in the log."""
    print(stdout, end="" if stdout.endswith("\n") else "\n", flush=True)
    if not stdout.strip().startswith("{"):
        return {"result": ""}
    file.write_text(redact.text(stdout), encoding="utf-8")
    _scrub(file)
    return {"result": str(file)}


def _scrub(file: Path) -> None:
    """Mask secret values in a JSON file the command wrote (an artifact is uploaded as is)."""
    if not file.is_file():
        return
    text = file.read_text("utf-8")
    try:
        document = json.loads(text)
    except ValueError:
        clean = redact.text(text)
    else:
        masked = redact.data(document)
        clean = redact.text(text if masked == document else json.dumps(masked, indent=2, ensure_ascii=False) + "\n")
    if clean != text:
        file.write_text(clean, encoding="utf-8")


def run(context: Context) -> int:
    context.workdir.mkdir(parents=True, exist_ok=True)
    refusal = fork_refusal(context)
    if refusal is not None:
        # Before any credential is set up: a fork's code never runs with the Hub write token.
        print(f"error: {refusal}", file=sys.stderr, flush=True)
        annotate("error", refusal)
        state: dict[str, Any] = {"command": context.command, "path": context.path, "exitcode": 1, "changes": False}
        state["notes"] = [refusal]
        _finish(context, state)
        return 0
    how, warning = auth.configure(os.environ, context.command, context.args, space_ids(context.path))
    print(f"Hub authentication: {how}", flush=True)
    notes = []
    if warning:
        annotate("warning", warning)
        notes.append(warning)
    try:
        state = run_command(context)
    except ReconcileError as problem:
        print(f"error: {problem}", file=sys.stderr, flush=True)
        state = {"command": context.command, "path": context.path, "exitcode": 1, "changes": False}
    state["notes"] = notes
    _finish(context, state)
    return 0


def _finish(context: Context, state: dict[str, Any]) -> None:
    (context.workdir / STATE).write_text(redact.text(json.dumps(state, indent=2)), encoding="utf-8")
    set_outputs(
        context.output_file,
        {
            "exitcode": str(state["exitcode"]),
            "changes": "true" if state["changes"] else "false",
            "plan-json": str(state.get("artifact") or "") if context.command == "plan" else "",
            "artifact": str(state.get("artifact") or ""),
            "artifact-name": context.artifact_name,
        },
    )


def report(context: Context) -> int:
    state_file = context.workdir / STATE
    if not state_file.is_file():
        print("error: nothing to report: the run step did not finish", file=sys.stderr)
        return 1
    state = json.loads(state_file.read_text("utf-8"))
    publish(context, state, os.environ.get("ARTIFACT_URL", ""))
    code = int(state["exitcode"])
    if code in (0, 2):
        return 0
    annotate("error", f"reconcile {context.command} failed (exit code {code}); see the job summary and the log")
    return code or 1


def main(argv: Sequence[str] | None = None) -> None:
    args = list(sys.argv[1:] if argv is None else argv)
    if args not in (["run"], ["report"]):
        print("usage: python -m reconciler.ci run|report", file=sys.stderr)
        sys.exit(2)
    try:
        context = load_context()
    except ReconcileError as problem:
        print(f"error: {problem}", file=sys.stderr)
        sys.exit(1)
    # Everything the action writes from here on (stdout, stderr, log records, files, GitHub
    # bodies) is masked; the run step's environment still holds the hf-token input here.
    with redact.active(redact.Redactor.for_spaces(load_manifests([Path(context.path)]).spaces, os.environ)):
        try:
            code = run(context) if args == ["run"] else report(context)
        except ReconcileError as problem:
            print(f"error: {problem}", file=sys.stderr)
            code = 1
    sys.exit(code)
