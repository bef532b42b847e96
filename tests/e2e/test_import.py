"""`reconcile import` round trip: Spaces made by hand -> manifests -> a plan with no changes
(apart from secret values it cannot know, which it says)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml
from huggingface_hub import CommitOperationAdd, HfApi, Volume

from reconciler.localhub import LocalHub
from tests.e2e.conftest import run_cli

README = "---\ntitle: {title}\nemoji: 🧪\ncolorFrom: red\ncolorTo: blue\nsdk: {sdk}\n{extra}---\n\n# {title}\n"


def handmade(api: HfApi, space_id: str, sdk: str, files: dict[str, bytes], extra: str = "") -> None:
    api.create_repo(space_id, repo_type="space", space_sdk=sdk)
    readme = README.format(title=space_id.split("/")[1], sdk=sdk, extra=extra).encode()
    operations = [
        CommitOperationAdd(path_in_repo=p, path_or_fileobj=c) for p, c in {**files, "README.md": readme}.items()
    ]
    api.create_commit(space_id, operations, repo_type="space", commit_message="by hand")


@pytest.fixture
def by_hand(hub: LocalHub, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> HfApi:
    workspace = tmp_path / "adopted"
    (workspace / ".git").mkdir(parents=True)
    monkeypatch.chdir(workspace)
    api = HfApi(endpoint=hub.endpoint, token=hub.token)
    handmade(api, "local/hand-gradio", "gradio", {"app.py": b"print('hi')\n", "utils/x.py": b"X = 1\n"},
             extra="sdk_version: 6.3.0\napp_file: app.py\ntags:\n- demo\n")  # fmt: skip
    api.add_space_variable("local/hand-gradio", "MODE", "prod")
    api.add_space_secret("local/hand-gradio", "API_KEY", "never-readable")
    api.create_bucket("local/data")
    api.set_space_volumes("local/hand-gradio", [Volume(type="bucket", source="local/data", mount_path="/data")])
    api.request_space_hardware("local/hand-gradio", "cpu-upgrade", sleep_time=3600)
    handmade(api, "local/hand-docker", "docker", {"Dockerfile": b"FROM python:3.12\n"}, extra="app_port: 8080\n")
    handmade(api, "local/hand-static", "static", {"index.html": b"<h1>hi</h1>\n"})
    api.update_repo_settings("local/hand-static", repo_type="space", visibility="private")
    return api


def test_import_then_plan_shows_no_changes_but_unknown_secrets(by_hand: HfApi) -> None:
    result = run_cli("import", "--namespace", "local")
    assert result.code == 0, result.output
    manifest = Path("manifests/hand-gradio.yaml").read_text()
    assert "API_KEY:\n      fromEnv: API_KEY" in manifest
    assert "never-readable" not in manifest
    assert Path("manifests/apps/hand-gradio/utils/x.py").read_text() == "X = 1\n"

    assert run_cli("validate", "manifests").code == 0
    plan = run_cli("plan", "--format", "json", "--detailed-exitcode")
    assert plan.code == 0, plan.output
    entries = {e["id"]: e for e in json.loads(plan.stdout)["spaces"]}
    assert set(entries) == {"local/hand-gradio", "local/hand-docker", "local/hand-static"}
    assert {e["rung"] for e in entries.values()} == {"none"}
    assert entries["local/hand-gradio"]["warnings"] == [
        "secret API_KEY: value not available in this environment; not written by spaces-reconciler"
    ]


def test_import_skips_a_space_with_a_manifest_and_refuses_to_overwrite_without_force(by_hand: HfApi) -> None:
    assert run_cli("import", "local/hand-static").code == 0
    again = run_cli("import", "local/hand-static")
    assert again.code == 0
    assert again.stdout == "skipped local/hand-static: already described by manifests/hand-static.yaml:3:1\n"
    assert "Secrets are referenced" not in again.stderr  # nothing was imported
    Path("manifests/apps/hand-docker").mkdir(parents=True)
    Path("manifests/apps/hand-docker/notes.txt").write_text("mine\n")
    taken = run_cli("import", "local/hand-docker")
    assert taken.code == 1
    assert "refusing to overwrite manifests/apps/hand-docker" in taken.stderr and "--force" in taken.stderr
    assert run_cli("import", "local/hand-static", "--force").code == 0
    malformed = run_cli("import", "hand-static")
    assert malformed.code == 1 and "hand-static: expected a Space id NS/NAME, e.g. acme/demo" in malformed.stderr


def test_imported_manifests_point_at_a_schema_that_exists_quote_sdk_version_and_show_no_progress_bar(
    by_hand: HfApi,
) -> None:
    Path("manifests/deep").mkdir(parents=True)
    result = run_cli("import", "local/hand-gradio", "--out", "manifests/deep/gradio.yaml")
    assert result.code == 0, result.output
    manifest = Path("manifests/deep/gradio.yaml")
    first = manifest.read_text().splitlines()[0]
    assert first.startswith("# yaml-language-server: $schema=")
    schema = manifest.parent / first.split("$schema=", 1)[1]
    assert schema.resolve() == (Path.cwd() / "schemas" / "manifest.schema.json").resolve()
    assert json.loads(schema.read_text())["title"]  # `reconcile schema` wrote it: a real schema
    assert run_cli("schema", "--check").code == 0
    assert '  sdkVersion: "6.3.0"\n' in manifest.read_text()  # quoted, as the README advises
    # The CLI's stderr is not a terminal here: no progress bar, only what the import says.
    assert "Fetching" not in result.stderr and "\r" not in result.stderr and "it/s" not in result.stderr


def test_import_from_a_subfolder_points_at_the_repository_schema(
    by_hand: HfApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    Path("sub").mkdir()
    monkeypatch.chdir("sub")
    assert run_cli("import", "local/hand-static").code == 0
    manifest = Path("manifests/hand-static.yaml")
    target = manifest.parent / manifest.read_text().splitlines()[0].split("$schema=", 1)[1]
    assert target.resolve() == (Path.cwd().parent / "schemas" / "manifest.schema.json").resolve()
    assert target.is_file()


def test_reimporting_managed_spaces_is_faithful_and_skips_those_with_a_manifest(hub: LocalHub, fleet: Path) -> None:
    """The example fleet applied, two manifests lost: import brings them back as they were."""
    assert run_cli("apply", "--auto-approve", "--timeout", "60s").code == 0
    for name in ("gradio-hello", "static-site"):
        Path(f"manifests/{name}.yaml").unlink()
        shutil.rmtree(f"manifests/apps/{name}")

    result = run_cli("import", "--namespace", "local-org")
    assert result.code == 0, result.output
    assert "imported local-org/gradio-hello" in result.stdout and "imported local-org/static-site" in result.stdout
    for skipped in ("local-org/regional-demo-eu", "local-org/regional-demo-us"):
        assert f"skipped {skipped}: already described by manifests/regional-demos.yaml:" in result.stdout
    assert not Path("manifests/regional-demo-eu.yaml").exists()

    document = yaml.safe_load(Path("manifests/gradio-hello.yaml").read_text())
    spec = document["spec"]
    assert spec["lifecycle"] == {"preventDestroy": True}  # the marker kept (the default), preventDestroy too
    assert spec["card"]["tags"] == ["demo"]  # the tool's own tags are lifecycle, not card tags
    assert spec["card"]["title"] == "Gradio Hello"
    readme = Path("manifests/apps/gradio-hello/README.md").read_text()
    assert not readme.startswith("---") and "sdk:" not in readme  # the front matter lives in `card`
    assert "Type a name, get a greeting." in readme
    assert "ownershipMarker" not in Path("manifests/static-site.yaml").read_text()

    assert run_cli("validate").code == 0
    plan = run_cli("plan", "--format", "json", "--detailed-exitcode")
    assert plan.code == 0, plan.output
    assert {e["rung"] for e in json.loads(plan.stdout)["spaces"]} == {"none"}
    # The Space is still protected: without its manifest, prune refuses to delete it.
    Path("manifests/gradio-hello.yaml").unlink()
    refused = run_cli("plan", "--prune")
    assert refused.code == 1 and "preventDestroy" in refused.stderr
