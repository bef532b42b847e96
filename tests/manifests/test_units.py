"""Unit tests: source listing and symlinks, secrets, README generation, CLI commands."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from reconciler.commands import schema as schema_command
from reconciler.commands import validate as validate_command
from reconciler.errors import Severity
from reconciler.manifests import find_repo_root, load_manifests, render_readme, resolve_secret
from reconciler.manifests.lint import _satisfies, requirements
from reconciler.manifests.source import blob_id
from reconciler.model import SecretRef
from tests.conftest import CANARY

SPACE = """\
apiVersion: spaces-reconciler/v1
kind: Space
metadata: {{namespace: acme, name: demo}}
spec:
  sdk: gradio
  sdkVersion: "6.15.1"
  source: {{path: {path}, exclude: {exclude}}}
  secrets: {{TOKEN: {{fromEnv: CANARY_SECRET}}}}
"""


def write_space(root: Path, path: str = "app", exclude: str = "[]") -> Path:
    manifest = root / "manifests" / "space.yaml"
    manifest.parent.mkdir(parents=True, exist_ok=True)
    manifest.write_text(SPACE.format(path=f"../{path}", exclude=exclude))
    return manifest


def make_app(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "app.py").write_text("print('hi')\n")


def test_blob_id_matches_git(tmp_path: Path) -> None:
    content = b"hello\n"
    assert blob_id(content) == "ce013625030ba8dba906f756967f9e9ca394464a"  # git hash-object
    assert blob_id(b"") == "e69de29bb2d1d6434b8b29ae775ad8c2e48c5391"
    assert hashlib.sha1(b"blob 6\0hello\n").hexdigest() == blob_id(content)


def test_git_dir_always_excluded_and_patterns_apply(tmp_path: Path) -> None:
    make_app(tmp_path / "app")
    (tmp_path / "app" / ".git").mkdir()
    (tmp_path / "app" / ".git" / "HEAD").write_text("ref: x\n")
    (tmp_path / "app" / "sub").mkdir()
    (tmp_path / "app" / "sub" / "keep.py").write_text("x = 1\n")
    (tmp_path / "app" / "sub" / "drop.ipynb").write_text("{}")
    write_space(tmp_path, exclude='["*.ipynb"]')
    result = load_manifests([tmp_path / "manifests"], repo_root=tmp_path)
    assert result.ok, result.diagnostics
    assert [f.path for f in result.spaces[0].files] == ["README.md", "app.py", "sub/keep.py"]


def test_symlink_leaving_the_repository_is_refused(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    make_app(repo / "app")
    outside = tmp_path / "outside.txt"
    outside.write_text("private\n")
    os.symlink(outside, repo / "app" / "leak.txt")
    os.symlink(tmp_path, repo / "app" / "leakdir")
    write_space(repo)
    result = load_manifests([repo / "manifests"], repo_root=repo)
    messages = [d.message for d in result.errors]
    assert any("leak.txt is a symlink to a path outside the repository" in m for m in messages)
    assert any("leakdir is a symlink to a path outside the repository" in m for m in messages)
    assert result.spaces == ()


def test_symlink_to_a_file_inside_the_repository_is_followed(tmp_path: Path) -> None:
    make_app(tmp_path / "app")
    (tmp_path / "shared").mkdir()
    (tmp_path / "shared" / "util.py").write_text("X = 1\n")
    os.symlink(tmp_path / "shared" / "util.py", tmp_path / "app" / "util.py")
    (tmp_path / "app" / "pkg").mkdir()
    (tmp_path / "app" / "pkg" / "m.py").write_text("Y = 2\n")
    os.symlink(tmp_path / "app" / "pkg", tmp_path / "app" / "alias")  # a folder inside the source
    write_space(tmp_path)
    result = load_manifests([tmp_path / "manifests"], repo_root=tmp_path)
    files = {f.path: f for f in result.spaces[0].files}
    assert {"util.py", "alias/m.py", "pkg/m.py"} <= set(files)
    assert files["util.py"].read() == b"X = 1\n"
    os.symlink(tmp_path / "app", tmp_path / "app" / "loop")
    result = load_manifests([tmp_path / "manifests"], repo_root=tmp_path)
    assert any("loop is a symlink loop" in d.message for d in result.errors)


def test_symlink_to_a_folder_outside_the_source_folder_is_refused(tmp_path: Path) -> None:
    # A folder link would publish whatever appears there later (git-ignored files included).
    make_app(tmp_path / "app")
    (tmp_path / "shared").mkdir()
    (tmp_path / "shared" / "util.py").write_text("X = 1\n")
    os.symlink(tmp_path / "shared", tmp_path / "app" / "shared")
    write_space(tmp_path)
    result = load_manifests([tmp_path / "manifests"], repo_root=tmp_path)
    assert [d.message for d in result.errors] == [
        "source folder '../app': shared is a symlink to a folder outside the source folder; refusing to upload it"
    ]
    assert str(result.errors[0].location).endswith("space.yaml:7:18")


def test_source_folder_outside_repository_is_refused(tmp_path: Path) -> None:
    make_app(tmp_path / "elsewhere")
    repo = tmp_path / "repo"
    repo.mkdir()
    write_space(repo, path="../elsewhere")
    result = load_manifests([repo / "manifests"], repo_root=repo)
    assert "outside the repository" in result.errors[0].message


def test_repo_root_defaults_to_git_top_level(tmp_path: Path) -> None:
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    (tmp_path / "manifests").mkdir()
    assert find_repo_root(tmp_path / "manifests") == tmp_path
    assert find_repo_root(tmp_path / "manifests" / "x.yaml") == tmp_path


def test_listing_computed_once_per_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from reconciler.manifests import source

    make_app(tmp_path / "app")
    (tmp_path / "m.yaml").write_text(
        "apiVersion: spaces-reconciler/v1\nkind: SpaceSet\nmetadata: {name: s}\nspec:\n"
        "  generators: [{matrix: {n: [1, 2, 3, 4, 5]}}]\n"
        "  template: |\n    metadata: {namespace: a, name: 'x{{ n }}'}\n"
        "    spec: {sdk: gradio, sdkVersion: '6.15.1', source: {path: app}}\n"
    )
    calls: list[str] = []
    original = source._content_id
    monkeypatch.setattr(source, "_content_id", lambda h, p: calls.append(p) or original(h, p))
    result = load_manifests([tmp_path / "m.yaml"], repo_root=tmp_path)
    assert len(result.spaces) == 5 and result.ok
    assert len(calls) == 1


def test_resolve_secret(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert resolve_secret(SecretRef(from_env="CANARY_SECRET")) == CANARY
    monkeypatch.delenv("NOT_SET_ANYWHERE", raising=False)
    assert resolve_secret(SecretRef(from_env="NOT_SET_ANYWHERE")) is None
    secret = tmp_path / "s.txt"
    secret.write_text("value\n")
    assert resolve_secret(SecretRef(from_file=str(secret))) == "value"
    assert resolve_secret(SecretRef(from_file=str(tmp_path / "absent"))) is None


def test_secret_from_file_is_made_absolute(tmp_path: Path) -> None:
    make_app(tmp_path / "app")
    manifest = write_space(tmp_path)
    manifest.write_text(manifest.read_text().replace("{fromEnv: CANARY_SECRET}", "{fromFile: ../s.txt, preview: true}"))
    result = load_manifests([manifest], repo_root=tmp_path)
    ref = result.spaces[0].secrets["TOKEN"]
    assert ref.from_file == str(tmp_path / "s.txt") and ref.preview
    assert resolve_secret(ref) is None  # missing file: not a load error


def test_literal_secret_value_is_never_echoed(tmp_path: Path) -> None:
    make_app(tmp_path / "app")
    manifest = write_space(tmp_path)
    literal = "sk-live-do-not-echo-4242"
    manifest.write_text(manifest.read_text().replace("{fromEnv: CANARY_SECRET}", literal))
    result = load_manifests([manifest], repo_root=tmp_path)
    assert not result.ok
    text = "\n".join(str(d) for d in result.diagnostics)
    assert literal not in text
    assert "{fromEnv: TOKEN}" in text


def test_render_readme_is_deterministic() -> None:
    card = {"title": "T", "emoji": "🖼️", "sdk": "gradio", "sdk_version": "6.1", "tags": ["a"]}
    data = render_readme(card, "# Body\n")
    assert data == render_readme(dict(card), "# Body\n")
    expected = "---\ntitle: T\nemoji: 🖼️\nsdk: gradio\nsdk_version: '6.1'\ntags:\n- a\n---\n\n# Body\n"
    assert data.decode() == expected


def test_requirement_parsing_and_torch_versions() -> None:
    pins = requirements(("gradio==4.0  # comment", "huggingface_hub[cli]>=0.2", "-r other.txt", "torch", ""))
    assert pins == {"gradio": "==4.0", "huggingface-hub": ">=0.2", "torch": ""}
    assert _satisfies("2.9.1", "==2.9.1") is True
    assert _satisfies("2.9.1", ">=2.0,<2.5") is False
    assert _satisfies("2.9.1", "~=2.9") is True
    assert _satisfies("2.9.1", "==2.9.*") is True
    assert _satisfies("2.9.1", "==2.1.0") is False
    assert _satisfies("2.9.1", "==dev") is None


def test_validate_command_text_and_json(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    make_app(tmp_path / "app")
    write_space(tmp_path)
    (tmp_path / ".git").mkdir()
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    ok = runner.invoke(validate_command.command, [], standalone_mode=False)
    assert ok.return_value == 0, ok.output
    assert "valid: 1 Space(s) ready, 0 error(s), 0 warning(s)" in ok.output
    (tmp_path / "manifests" / "bad.yaml").write_text("apiVersion: spaces-reconciler/v1\nkind: Space\nmetdata: {}\n")
    bad = runner.invoke(validate_command.command, ["manifests", "--format", "json"], standalone_mode=False)
    assert bad.return_value == 1
    payload = json.loads(bad.output)
    assert payload["ok"] is False and payload["spaces"] == ["acme/demo"]
    first = payload["diagnostics"][0]
    assert (first["file"], first["line"], first["col"], first["severity"]) == ("manifests/bad.yaml", 1, 1, "error")
    assert any("did you mean 'metadata'" in d["message"] for d in payload["diagnostics"])


def test_schema_command_writes_and_checks(tmp_path: Path) -> None:
    runner = CliRunner()
    out = tmp_path / "schemas"
    stale = runner.invoke(schema_command.command, ["--out", str(out), "--check"], standalone_mode=False)
    assert stale.return_value == 1
    wrote = runner.invoke(schema_command.command, ["--out", str(out)], standalone_mode=False)
    assert wrote.return_value == 0
    names = sorted(p.name for p in out.iterdir())
    assert names == ["manifest.schema.json", "policy.schema.json", "space.schema.json", "spaceset.schema.json"]
    fresh = runner.invoke(schema_command.command, ["--out", str(out), "--check"], standalone_mode=False)
    assert fresh.return_value == 0


def test_warnings_do_not_fail(tmp_path: Path) -> None:
    make_app(tmp_path / "app")
    manifest = write_space(tmp_path)
    manifest.write_text(manifest.read_text().replace('  sdkVersion: "6.15.1"\n', ""))
    result = load_manifests([manifest], repo_root=tmp_path)
    assert result.ok and len(result.spaces) == 1
    assert [d.rule for d in result.diagnostics if d.severity is Severity.WARNING] == ["gradio-sdk-version-missing"]
