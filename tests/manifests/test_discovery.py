"""Which YAML files are manifests: not the apps' own, not dot-files, not what .reconcileignore names."""

from __future__ import annotations

from pathlib import Path

from reconciler.manifests import load_manifests

SPACE = """apiVersion: spaces-reconciler/v1
kind: Space
metadata: {{name: {name}, namespace: acme}}
spec:
  sdk: gradio
  source: {{path: {path}}}
"""


def repo(tmp_path: Path) -> Path:
    (tmp_path / ".git").mkdir()
    chat = tmp_path / "manifests" / "apps" / "chat"
    chat.mkdir(parents=True)
    (chat / "app.py").write_text("import gradio as gr\n")
    (chat / "config.yaml").write_text("model: gpt2\ntemperature: 0.7\n")  # the app's own config
    (tmp_path / "manifests" / "chat.yaml").write_text(SPACE.format(name="chat", path="apps/chat"))
    (tmp_path / "manifests" / ".pre-commit-config.yaml").write_text("repos: []\n")
    return tmp_path


def test_yaml_inside_a_source_folder_and_dot_files_are_not_manifests(tmp_path: Path) -> None:
    result = load_manifests([repo(tmp_path) / "manifests"], repo_root=tmp_path)
    assert result.ok, [str(d) for d in result.diagnostics]
    assert [s.id for s in result.spaces] == ["acme/chat"]


def test_a_typo_outside_source_folders_still_fails(tmp_path: Path) -> None:
    root = repo(tmp_path)
    (root / "manifests" / "broken.yaml").write_text("apiVersion: spaces-reconciler/v1\nknd: Space\n")
    result = load_manifests([root / "manifests"], repo_root=root)
    assert not result.ok
    assert any("broken.yaml:1:1" in str(d) and "missing key 'kind'" in str(d) for d in result.diagnostics)


def test_reconcileignore_excludes_paths(tmp_path: Path) -> None:
    root = repo(tmp_path)
    (root / "manifests" / "drafts").mkdir()
    (root / "manifests" / "drafts" / "wip.yaml").write_text("not: a manifest\n")
    (root / "manifests" / "notes.yml").write_text("also: not\n")
    (root / ".reconcileignore").write_text("manifests/drafts/\n*.yml\n")
    result = load_manifests([root / "manifests"], repo_root=root)
    assert result.ok, [str(d) for d in result.diagnostics]


def test_a_manifest_inside_its_own_source_folder_is_read(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    solo = tmp_path / "solo"
    solo.mkdir()
    (solo / "app.py").write_text("import gradio as gr\n")
    (solo / "space.yaml").write_text(SPACE.format(name="solo", path="."))
    result = load_manifests([tmp_path], repo_root=tmp_path)
    assert [s.id for s in result.spaces] == ["acme/solo"], [str(d) for d in result.diagnostics]


def test_a_file_named_on_the_command_line_is_always_read(tmp_path: Path) -> None:
    root = repo(tmp_path)
    result = load_manifests([root / "manifests" / "apps" / "chat" / "config.yaml"], repo_root=root)
    assert not result.ok  # the user asked for it: its problems are reported
