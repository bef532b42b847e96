"""The git-ignore rules the upload and secret-file rules rest on, judged against git itself."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from reconciler.manifests.gitignored import Ignores, written_in_the_repository

FILES = [
    "secrets/db.txt",  # an ignored folder
    "apps/a/app.py",
    "apps/a/y.log",  # a root pattern reaching down
    "apps/a/keep.log",  # re-included at the root, ignored again deeper
    "apps/a/x.log",  # re-included by the deeper .gitignore
    "keep.log",
    "apps/a/build/out.bin",  # a folder pattern
    "apps/a/build/keep.log",  # under an ignored folder: a re-include cannot bring it back
    "local-only.txt",  # .git/info/exclude
    "apps/a/local-only.txt",
    "apps/a/.env",
    "docs/notes.txt",
]


@pytest.fixture
def repository(tmp_path: Path) -> Path:
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    (tmp_path / ".gitignore").write_text("secrets/\n*.log\n!keep.log\nbuild/\n")
    (tmp_path / "apps" / "a").mkdir(parents=True)
    (tmp_path / "apps" / "a" / ".gitignore").write_text("keep.log\n!x.log\n.env\n")
    with open(tmp_path / ".git" / "info" / "exclude", "a") as exclude:
        exclude.write("local-only.txt\n")
    for name in FILES:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("x\n")
    return tmp_path


@pytest.mark.parametrize("name", FILES)
def test_a_path_is_ignored_exactly_when_git_says_so(repository: Path, name: str) -> None:
    by_git = subprocess.run(["git", "-C", str(repository), "check-ignore", "-q", name]).returncode == 0
    ignores = Ignores.of(str(repository))
    assert ignores is not None
    assert ignores.ignored(str(repository / name)) is by_git


def test_only_files_a_checkout_can_hold_are_written_in_the_repository(repository: Path, tmp_path: Path) -> None:
    known: dict[str, Ignores | None] = {}
    assert written_in_the_repository(str(repository / "docs" / "notes.txt"), known)
    assert not written_in_the_repository(str(repository / "secrets" / "db.txt"), known)
    outside = tmp_path.parent / f"{tmp_path.name}-outside.txt"
    outside.write_text("x\n")
    assert not written_in_the_repository(str(outside), known)  # in no git work tree
    assert Ignores.of(str(tmp_path.parent)) is None
