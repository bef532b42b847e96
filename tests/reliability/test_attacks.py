"""Manifest-borne attacks, as they would arrive in a pull request: a SpaceSet template that tries
to read files or run code, a `fromFile` secret escaping the repository, a source folder with a
symlink pointing outside it. Each is refused with a clear FILE:LINE:COL error, and nothing
outside the repository is read into a Space or the output."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from tests.e2e.conftest import run_cli

POSITION = re.compile(r"^manifests/\S+\.yaml:\d+:\d+: error: ", re.MULTILINE)
OUTSIDE_SECRET = "outside-the-repository-do-not-read"

SPACE = """\
apiVersion: spaces-reconciler/v1
kind: Space
metadata: {{namespace: local-org, name: attacked}}
spec:
  sdk: gradio
  source: {{path: ../app}}
{extra}"""

SPACESET = """\
apiVersion: spaces-reconciler/v1
kind: SpaceSet
metadata: {{name: attack}}
spec:
  generators:
    - list: [{{i: 1}}]
  template: |
    metadata:
      namespace: local-org
      name: "{name}"
    spec:
      sdk: gradio
      source: {{path: ../app}}
"""

TEMPLATE_ATTACKS = {
    "python internals": "x{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "globals of a builtin": "x{{ lipsum.__globals__['os'].popen('id').read() }}",
    "cycler globals": "x{{ cycler.__init__.__globals__.os.system('touch /tmp/pwned') }}",
    "include a file": "x{% include '/etc/passwd' %}",
    "import a file": "x{% import '../outside/secret.txt' as s %}",
    "format string": "x{{ '{0.__class__}'.format(i) }}",
    "huge range": "x{% for n in range(10**12) %}{% endfor %}",
}


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text(OUTSIDE_SECRET)
    root = tmp_path / "repo"
    (root / ".git").mkdir(parents=True)
    (root / "app").mkdir()
    (root / "app" / "app.py").write_text("import gradio as gr\n")
    (root / "manifests").mkdir()
    monkeypatch.chdir(root)
    return root


def _validate(repo: Path, manifest: str) -> str:
    (repo / "manifests" / "m.yaml").write_text(manifest)
    result = run_cli("validate", "manifests")
    assert result.code == 1, result.output
    assert "Traceback" not in result.output
    assert OUTSIDE_SECRET not in result.output
    assert POSITION.search(result.output), result.output
    return result.output


@pytest.mark.parametrize("attack", sorted(TEMPLATE_ATTACKS))
def test_spaceset_template_cannot_read_files_or_run_code(repo: Path, attack: str) -> None:
    output = _validate(repo, SPACESET.format(name=TEMPLATE_ATTACKS[attack].replace('"', '\\"')))
    assert "template" in output.lower(), output
    assert not Path("/tmp/pwned").exists()


@pytest.mark.parametrize(
    "reference",
    # Relative to the manifest (manifests/m.yaml); the repository is the folder holding .git.
    ["../../outside/secret.txt", "/etc/passwd", "../app/../../outside/secret.txt", "../../../../../../etc/passwd"],
)
def test_secret_from_file_outside_the_repository_is_refused(repo: Path, reference: str) -> None:
    output = _validate(repo, SPACE.format(extra=f"  secrets: {{TOKEN: {{fromFile: {reference}}}}}\n"))
    assert "fromFile" in output or "outside" in output.lower(), output


def test_secret_from_file_through_a_symlink_leaving_the_repository_is_refused(repo: Path) -> None:
    (repo / "link.txt").symlink_to(repo.parent / "outside" / "secret.txt")
    output = _validate(repo, SPACE.format(extra="  secrets: {TOKEN: {fromFile: ../link.txt}}\n"))
    assert "outside" in output.lower(), output


@pytest.mark.parametrize("target", ["file", "folder"])
def test_source_symlink_pointing_outside_is_refused(repo: Path, target: str) -> None:
    outside = repo.parent / "outside"
    link = repo / "app" / "data"
    link.symlink_to(outside / "secret.txt" if target == "file" else outside)
    output = _validate(repo, SPACE.format(extra=""))
    assert "symlink" in output.lower() and "outside" in output.lower(), output


def test_source_path_escaping_the_repository_is_refused(repo: Path) -> None:
    manifest = SPACE.format(extra="").replace("path: ../app", "path: ../../outside")
    output = _validate(repo, manifest)
    assert "outside" in output.lower() or "repository" in output.lower(), output


def test_no_attack_left_anything_behind() -> None:
    assert not Path("/tmp/pwned").exists()
    assert os.environ.get("PWNED") is None
