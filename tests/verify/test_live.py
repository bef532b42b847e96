"""`reconcile verify` end to end: the local Hub runs gradio apps for real (--run-apps), the real
gradio_client calls them. One local Hub for the module; each app is a few lines."""

from __future__ import annotations

import hashlib
import html
import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from huggingface_hub import CommitOperationAdd, HfApi
from huggingface_hub._hot_reload.client import ReloadClient

from reconciler.localhub import LocalHub
from tests.conftest import CANARY
from tests.e2e.conftest import run_cli

# Real apps start in seconds alone, but much slower on a shared, loaded machine.
pytestmark = pytest.mark.timeout(300)

HEADER = "import gradio as gr\nimport os, hashlib\n"
APPS = {
    # Greets; proves its secret arrived (a digest, never the value) and prints it to its log.
    "text": """
        print("token is " + os.environ["TOKEN"], flush=True)
        print("Model loaded", flush=True)
        def greet(name):
            return "Hello " + name + " " + hashlib.sha256(os.environ["TOKEN"].encode()).hexdigest()[:12]
        with gr.Blocks() as demo:
            box, out = gr.Textbox(), gr.Textbox()
            gr.Button().click(greet, box, out, api_name="greet")
        demo.launch()
    """,
    "cpu": """
        print("CUDA not available, falling back to CPU", flush=True)
        with gr.Blocks() as demo:
            box, out = gr.Textbox(), gr.Textbox()
            gr.Button().click(lambda s: s, box, out, api_name="echo")
        demo.launch()
    """,
    "raises": """
        def generate(prompt):
            raise gr.Error("CUDA out of memory while generating")
        with gr.Blocks() as demo:
            box, out = gr.Textbox(), gr.Textbox()
            gr.Button().click(generate, box, out, api_name="generate")
        demo.launch()
    """,
    "png": """
        from PIL import Image
        with gr.Blocks() as demo:
            box, out = gr.Textbox(), gr.Image(format="png")
            gr.Button().click(lambda s: Image.new("RGB", (8, 8), s), box, out, api_name="image")
        demo.launch()
    """,
    "jpeg": """
        from PIL import Image
        with gr.Blocks() as demo:
            box, out = gr.Textbox(), gr.Image(format="jpeg")
            gr.Button().click(lambda s: Image.new("RGB", (8, 8), s), box, out, api_name="image")
        demo.launch()
    """,
}
VERIFY = {
    "text": {
        "logs": {"expect": ["Model loaded"], "forbid": ["token is"]},
        "endpoints": ["/greet"],
        "smoke": [{"api": "/greet", "args": {"name": "Ada"},
                   "expect": {"contains": "Hello Ada " + hashlib.sha256(CANARY.encode()).hexdigest()[:12]}}],
    },
    "cpu": {"logs": {"forbid": ["falling back to CPU"]}, "endpoints": ["/echo"]},
    "raises": {"smoke": [{"api": "/generate", "args": ["a red square"], "timeout": "60s"}]},
    "png": {"smoke": [{"api": "/image", "args": ["red"], "expect": {"kind": "image/png"}}]},
    "jpeg": {"smoke": [{"api": "/image", "args": ["red"], "expect": {"kind": "image/png"}}]},
}  # fmt: skip


@pytest.fixture(scope="module")
def apps_hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalHub]:
    state = tmp_path_factory.mktemp("apps-hub")
    with LocalHub(state, build_seconds=0.2, restart_seconds=0.1, run_apps=True, max_apps=8) as local:
        yield local


@pytest.fixture
def workspace(apps_hub: LocalHub, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("HF_ENDPOINT", apps_hub.endpoint)
    monkeypatch.setenv("HF_TOKEN", apps_hub.token)
    monkeypatch.setenv("RECONCILE_POLL_INTERVAL", "0.2")
    root = tmp_path / "repo"
    (root / ".git").mkdir(parents=True)
    monkeypatch.chdir(root)
    return root


def write_space(root: Path, name: str, code: str, verify: dict[str, Any] | None, secret: bool = False) -> None:
    folder = root / "apps" / name
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "app.py").write_text(HEADER + textwrap.dedent(code))
    spec: dict[str, Any] = {"sdk": "gradio", "sdkVersion": "6.15.1", "source": {"path": f"../apps/{name}"}}
    if secret:
        spec["secrets"] = {"TOKEN": {"fromEnv": "CANARY_SECRET"}}
    if verify is not None:
        spec["verify"] = verify
    doc = {"apiVersion": "spaces-reconciler/v1", "kind": "Space",
           "metadata": {"namespace": "local-org", "name": name}, "spec": spec}  # fmt: skip
    manifests = root / "manifests"
    manifests.mkdir(exist_ok=True)
    (manifests / f"{name}.yaml").write_text(json.dumps(doc))


def checks(report: dict[str, Any], space: str) -> list[dict[str, Any]]:
    return next(s["checks"] for s in report["spaces"] if s["id"] == f"local-org/{space}")


def test_verify_fleet_of_real_apps(workspace: Path) -> None:
    for name, code in APPS.items():
        write_space(workspace, name, code, VERIFY[name], secret=name == "text")
    applied = run_cli("apply", "--auto-approve", "--format", "json")
    # apply verifies each Space it changed after the health gate: a failed check is verify-failed, exit 1.
    assert applied.code == 1, applied.output
    outcomes = {r["id"].split("/")[1]: r for r in json.loads(applied.stdout)["results"]}
    assert {name: r["outcome"] for name, r in outcomes.items()} == {
        "cpu": "verify-failed",
        "jpeg": "verify-failed",
        "png": "applied",
        "raises": "verify-failed",
        "text": "verify-failed",
    }
    smoke = outcomes["raises"]["verification"][-1]
    assert (smoke["check"], smoke["problem"]) == ("smoke", "call-raised")
    assert "CUDA out of memory while generating" in smoke["evidence"]["exception"]
    assert outcomes["cpu"]["verification"][-1]["evidence"]["lines"] == ["CUDA not available, falling back to CPU"]
    assert outcomes["jpeg"]["verification"][-1]["evidence"]["head_hex"].startswith("ff d8 ff")
    # Every check of the text app passed until logs.forbid, whose evidence shows the line without the secret.
    text_checks = [(c["check"], c["status"]) for c in outcomes["text"]["verification"]]
    assert text_checks == [("logs.expect", "passed"), ("endpoints", "passed"), ("smoke", "passed"),
                           ("logs.forbid", "failed")]  # fmt: skip
    assert outcomes["text"]["verification"][-1]["evidence"]["lines"] == ["token is (sensitive)"]
    assert [c["status"] for c in outcomes["png"]["verification"]] == ["passed"]
    again = run_cli("apply", "--auto-approve")  # what failed verification is applied: nothing to do
    assert again.code == 0 and "nothing to do" in again.output

    result = run_cli("verify", "--format", "json")
    assert result.code == 2, result.output
    report = json.loads(result.stdout)
    status = {s["id"].split("/")[1]: s["status"] for s in report["spaces"]}
    assert status == {"cpu": "failed", "jpeg": "failed", "png": "passed", "raises": "failed", "text": "failed"}

    text = {c["check"]: c for c in checks(report, "text")}
    assert text["logs.expect"]["status"] == "passed"
    assert text["endpoints"]["status"] == "passed"
    assert text["smoke"]["status"] == "passed"  # the app got its secret: the digest matches
    assert text["smoke"]["args"] == {"name": "Ada"}  # arguments are shown in JSON only
    # The app printed its secret; the evidence shows the line without the value.
    assert text["logs.forbid"]["evidence"]["lines"] == ["token is (sensitive)"]

    cpu = {c["check"]: c for c in checks(report, "cpu")}
    assert cpu["logs.forbid"]["problem"] == "log-matched"
    assert cpu["logs.forbid"]["evidence"]["lines"] == ["CUDA not available, falling back to CPU"]
    assert cpu["endpoints"]["status"] == "passed"

    raised = checks(report, "raises")[-1]
    assert (raised["check"], raised["problem"]) == ("smoke", "call-raised")
    assert "CUDA out of memory while generating" in raised["evidence"]["exception"]

    jpeg = checks(report, "jpeg")[-1]
    assert (jpeg["problem"], jpeg["evidence"]["output_kind"]) == ("wrong-kind", "image/jpeg")
    assert jpeg["evidence"]["head_hex"].startswith("ff d8 ff")
    assert checks(report, "png")[-1]["evidence"]["output_kind"] == "image/png"

    markdown = run_cli("verify", "--format", "markdown")
    assert markdown.code == 2
    assert "| `local-org/png` | ✅ |" in markdown.stdout
    assert "Ada" not in markdown.stdout and "Ada" not in run_cli("verify").stdout  # args: JSON only
    Path(os.environ.get("VERIFY_REPORT_OUT", workspace / "verify.md")).write_text(markdown.stdout)


def test_gradio_client_resolves_a_local_space_unmodified(apps_hub: LocalHub, workspace: Path) -> None:
    write_space(workspace, "plain", APPS["cpu"], None)
    assert run_cli("apply", "--auto-approve").code == 0
    script = (
        "from gradio_client import Client\n"
        "print(Client('local-org/plain', verbose=False).predict('hi', api_name='/echo'))"
    )
    env = {
        **os.environ,
        "HF_ENDPOINT": apps_hub.endpoint,
        "HF_TOKEN": apps_hub.token,
        "GRADIO_ANALYTICS_ENABLED": "False",
    }
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "hi"


def test_renamed_endpoint_fails_endpoints(workspace: Path) -> None:
    app = APPS["cpu"].replace('print("CUDA not available, falling back to CPU", flush=True)', "")
    write_space(workspace, "rename", app, {"endpoints": ["/echo"]})
    assert run_cli("apply", "--auto-approve").code == 0
    # The app's own developer renames the endpoint with a hot reload (as `hf spaces hot-reload` does).
    api = HfApi(endpoint=os.environ["HF_ENDPOINT"], token=os.environ["HF_TOKEN"])
    renamed = (HEADER + textwrap.dedent(app)).replace('api_name="echo"', 'api_name="repeat"').encode()
    info = api.space_info("local-org/rename")
    commit = api.create_commit(
        "local-org/rename",
        [CommitOperationAdd("app.py", renamed)],
        commit_message="rename",
        repo_type="space",
        parent_commit=info.sha,
        _hot_reload=True,
    )
    # The replica route still answers on the local Hub's origin, through the app's host.
    info = api.space_info("local-org/rename")
    assert info.runtime is not None and info.runtime.raw["hotReloading"]["status"] == "created"
    reload = ReloadClient(host=info.host, subdomain=info.subdomain, replica_hash="r1", token=os.environ["HF_TOKEN"])
    events = reload.get_reload(commit.oid)
    assert not isinstance(events, int) and {"kind": "ui", "updated": True} in [e["data"] for e in events]

    result = run_cli("verify", "--format", "json")  # the hot-reloaded app is the new code
    assert result.code == 2, result.output
    endpoints = checks(json.loads(result.stdout), "rename")[-1]
    assert endpoints["problem"] == "endpoints-missing"
    assert endpoints["evidence"] == {"missing": ["/echo"], "available": ["/repeat"]}
    assert "missing from the Space's API: /echo (it has: /repeat)" in run_cli("verify").stdout

    # `reconcile drift` reports it too, as a typed finding, in every format.
    drift = run_cli("drift", "--format", "json", "--detailed-exitcode")
    assert drift.code == 2, drift.output
    entry = next(e for e in json.loads(drift.stdout)["spaces"] if e["id"] == "local-org/rename")
    assert entry["status"] == "drifted"
    assert (entry["detail"]["endpoints_missing"], entry["detail"]["endpoints_available"]) == (["/echo"], ["/repeat"])
    for fmt in ("text", "markdown", "html"):
        page = html.unescape(run_cli("drift", "--format", fmt).stdout)
        assert "missing from the Space's API: /echo (it has: /repeat)" in page, fmt


def test_crashing_app_is_runtime_error_with_its_traceback(apps_hub: LocalHub, workspace: Path) -> None:
    write_space(
        workspace, "crash", "import not_installed_anywhere\ngr.Blocks().launch()\n", {"logs": {"forbid": ["x"]}}
    )
    applied = run_cli("apply", "--auto-approve")
    assert applied.code == 1
    assert "RUNTIME_ERROR" in applied.output
    assert "ModuleNotFoundError: No module named 'not_installed_anywhere'" in applied.output
    result = run_cli("verify", "--format", "json")
    assert result.code == 2
    running = checks(json.loads(result.stdout), "crash")
    assert [(c["check"], c["problem"], c["evidence"]) for c in running] == [
        ("running", "not-running", {"stage": "RUNTIME_ERROR"})
    ]


def test_pause_restart_and_delete_act_on_the_process(apps_hub: LocalHub, workspace: Path) -> None:
    write_space(workspace, "life", APPS["cpu"], None)
    assert run_cli("apply", "--auto-approve").code == 0
    assert apps_hub.apps is not None
    first = apps_hub.apps.apps["local-org/life"].process
    assert first is not None and first.poll() is None
    api = HfApi(endpoint=os.environ["HF_ENDPOINT"], token=os.environ["HF_TOKEN"])
    assert api.pause_space("local-org/life").stage == "PAUSED"
    assert first.wait(timeout=10) is not None  # the app stopped with the pause
    api.restart_space("local-org/life")
    assert api.wait_for_space("local-org/life", timeout=120).stage == "RUNNING"
    second = apps_hub.apps.apps["local-org/life"].process
    assert second is not None and second.pid != first.pid and second.poll() is None
    assert api.get_space_runtime("local-org/life").stage == "RUNNING"
    api.delete_repo("local-org/life", repo_type="space")
    assert second.wait(timeout=10) is not None and "local-org/life" not in apps_hub.apps.apps


def test_embedded_local_hub_runs_apps(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`reconcile --hub local --run-apps ...`, the option also written after the subcommand."""
    root = tmp_path / "repo"
    (root / ".git").mkdir(parents=True)
    monkeypatch.chdir(root)
    monkeypatch.setenv("RECONCILE_LOCALHUB_BUILD_SECONDS", "0.3")
    monkeypatch.setenv("RECONCILE_POLL_INTERVAL", "0.2")
    write_space(root, "embedded", APPS["cpu"], {"endpoints": ["/echo"], "logs": {"forbid": ["falling back"]}})
    applied = run_cli("--hub", "local", "--run-apps", "apply", "--auto-approve")
    assert applied.code == 1 and "verify-failed" in applied.output  # logs.forbid matched
    assert "[FAIL] logs.forbid falling back" in applied.output
    # A new embedded Hub starts the app again; verify waits for it to start, then checks it.
    result = run_cli("verify", "--hub", "local", "--run-apps", "--format", "json")
    assert result.code == 2, result.output
    got = [(c["check"], c["status"]) for c in checks(json.loads(result.stdout), "embedded")]
    assert got == [("running", "passed"), ("endpoints", "passed"), ("logs.forbid", "failed")]


GREETER = """
    def greet(name):
        return "Hello " + name
    with gr.Blocks() as demo:
        box, out = gr.Textbox(), gr.Textbox()
        gr.Button().click(greet, box, out, api_name="greet")
    demo.launch()
"""
BROKEN = GREETER.replace('return "Hello " + name', 'raise gr.Error("model weights missing for " + os.environ["TOKEN"])')


def test_verify_failed_with_rollback_restores_the_previous_commit(apps_hub: LocalHub, workspace: Path) -> None:
    smoke = {"smoke": [{"api": "/greet", "args": {"name": "Ada"}, "expect": {"contains": "Hello Ada"}}]}
    write_space(workspace, "rollback", GREETER, smoke, secret=True)
    first = run_cli("apply", "--auto-approve", "--format", "json")
    assert first.code == 0, first.output
    api = HfApi(endpoint=os.environ["HF_ENDPOINT"], token=os.environ["HF_TOKEN"])
    good_sha = api.space_info("local-org/rollback").sha
    good_app = (workspace / "apps" / "rollback" / "app.py").read_bytes()

    write_space(workspace, "rollback", BROKEN, smoke, secret=True)
    plan = run_cli("plan", "--target", "local-org/rollback")
    assert "verify: call /greet, expect contains" in plan.output  # the plan shows the check apply runs
    result = run_cli("apply", "--auto-approve", "--rollback-on-failure", "--format", "json")
    assert result.code == 1, result.output
    (outcome,) = json.loads(result.stdout)["results"]
    assert (outcome["outcome"], outcome["rollback_reason"], outcome["stage"]) == (
        "rolled-back", "verify-failed", "RUNNING"
    ), outcome  # fmt: skip
    (check,) = outcome["verification"]
    assert (check["check"], check["problem"]) == ("smoke", "call-raised")
    assert "model weights missing for (sensitive)" in check["evidence"]["exception"]
    assert [w["kind"] for w in outcome["writes"]] == ["commit", "rollback-commit"]
    # The Hub holds the old files again, at a new commit whose tree is the good one's.
    head = api.space_info("local-org/rollback").sha
    assert head == outcome["commit"] and head != good_sha
    restored = Path(api.hf_hub_download("local-org/rollback", "app.py", repo_type="space", revision=head))
    assert restored.read_bytes() == good_app
    files = lambda sha: {(f.path, f.blob_id) for f in api.list_repo_tree(  # noqa: E731
        "local-org/rollback", repo_type="space", revision=sha, recursive=True)}  # fmt: skip
    assert files(head) == files(good_sha)
    text = run_cli("apply", "--auto-approve", "--rollback-on-failure")  # the same again, worded for people
    assert "rolled back: the new version failed verification; the Space runs the previous commit" in text.output
    assert "[FAIL] smoke /greet" in text.output and CANARY not in text.output
