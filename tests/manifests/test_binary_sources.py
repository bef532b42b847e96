"""A source folder as the Hub will keep it: .gitignore drops, .gitattributes lines, LFS pointers."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from click.testing import CliRunner

from reconciler.commands import validate as validate_command
from reconciler.manifests import load_manifests
from reconciler.manifests.hubfiles import Attributes, attribute_line, may_be_lfs, with_lfs_lines
from reconciler.model import DesiredSpace
from tests.manifests.test_units import make_app, write_space

PNG = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR" + bytes(range(256))
POINTER = (
    b"version https://git-lfs.github.com/spec/v1\n"
    b"oid sha256:" + hashlib.sha256(PNG).hexdigest().encode() + b"\nsize " + str(len(PNG)).encode() + b"\n"
)


def only_space(root: Path) -> DesiredSpace:
    result = load_manifests([root / "manifests"], repo_root=root)
    assert result.ok, [str(d) for d in result.diagnostics]
    (space,) = result.spaces
    return space


def test_files_the_folders_gitignore_matches_are_left_out_and_validate_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_app(tmp_path / "app")
    (tmp_path / "app" / ".gitignore").write_text("*.zip\nbuild/\n!keep.zip\n")
    (tmp_path / "app" / "out.zip").write_bytes(b"PK")
    (tmp_path / "app" / "keep.zip").write_bytes(b"PK")
    (tmp_path / "app" / "build").mkdir()
    (tmp_path / "app" / "build" / "x.py").write_text("x = 1\n")
    (tmp_path / "app" / "sub").mkdir()
    (tmp_path / "app" / "sub" / "deep.zip").write_bytes(b"PK")
    write_space(tmp_path)
    paths = [f.path for f in only_space(tmp_path).files]
    assert paths == [".gitignore", "README.md", "app.py", "keep.zip"]

    result = load_manifests([tmp_path / "manifests"], repo_root=tmp_path)
    (warning,) = [d for d in result.diagnostics if d.rule == "gitignored-files"]
    assert "3 file(s) left out" in warning.message and "build/x.py, out.zip, sub/deep.zip" in warning.message
    (tmp_path / ".git").mkdir()
    monkeypatch.chdir(tmp_path)
    shown = CliRunner().invoke(validate_command.command, [], standalone_mode=False)
    assert shown.return_value == 0, shown.output
    assert "manifests/space.yaml:7:" in shown.output and "[gitignored-files]" in shown.output


def test_a_folder_without_gitattributes_gets_none(tmp_path: Path) -> None:
    make_app(tmp_path / "app")
    (tmp_path / "app" / "logo.png").write_bytes(PNG)
    write_space(tmp_path)
    assert ".gitattributes" not in [f.path for f in only_space(tmp_path).files]


def test_the_folders_gitattributes_gets_a_line_for_each_uncovered_lfs_file(tmp_path: Path) -> None:
    app = tmp_path / "app"
    make_app(app)
    (app / ".gitattributes").write_text("*.onnx filter=lfs diff=lfs merge=lfs -text\n*.md text")
    (app / "model.onnx").write_bytes(b"onnx text header")  # covered by the folder's own pattern
    (app / "img").mkdir()
    (app / "img" / "my logo.png").write_bytes(PNG)  # binary sample: the Hub stores it with LFS
    (app / "weights.bin").write_text("not binary, but *.bin is in the Hub's default patterns\n")
    (app / "notes.txt").write_text("plain text\n")
    (app / "empty.dat").write_bytes(b"")
    write_space(tmp_path)
    files = {f.path: f for f in only_space(tmp_path).files}
    generated = files[".gitattributes"]
    assert generated.local_path is None and generated.content == (
        b"*.onnx filter=lfs diff=lfs merge=lfs -text\n*.md text\n"
        b"img/my[[:space:]]logo.png filter=lfs diff=lfs merge=lfs -text\n"
        b"weights.bin filter=lfs diff=lfs merge=lfs -text\n"
    )
    assert generated.blob_id == hashlib.sha1(b"blob %d\0" % generated.size + generated.content).hexdigest()


def test_a_gitattributes_that_covers_everything_is_uploaded_as_it_is(tmp_path: Path) -> None:
    app = tmp_path / "app"
    make_app(app)
    (app / ".gitattributes").write_text("*.png filter=lfs diff=lfs merge=lfs -text\n")
    (app / "logo.png").write_bytes(PNG)
    write_space(tmp_path)
    own = {f.path: f for f in only_space(tmp_path).files}[".gitattributes"]
    assert own.local_path == str(app / ".gitattributes") and own.content is None


def test_lfs_rule_and_attribute_lines() -> None:
    assert may_be_lfs("a.png", len(PNG), PNG)
    assert may_be_lfs("big.txt", 10_000_001, b"text")
    assert not may_be_lfs("big.txt", 10_000_000, b"text")
    assert may_be_lfs("saved_model/v1/x.txt", 4, b"text")
    assert not may_be_lfs("empty.png", 0, b"")
    assert not may_be_lfs("a.txt", 6, "héllo".encode())
    for path in ("my logo.png", "ü/[1]*?.png", "#start.png", "!bang.png", "tab\there.png"):
        attributes = Attributes(attribute_line(path))
        assert attributes.lfs_covers(path), path
    assert not Attributes(attribute_line("[1].png")).lfs_covers("1.png")
    assert Attributes("*.png filter=lfs\nlogo.png -filter\n").lfs_covers("a/b.png")
    assert not Attributes("*.png filter=lfs\nlogo.png -filter\n").lfs_covers("logo.png")
    assert with_lfs_lines(b"*.png filter=lfs\n", ["a.png"]) == b"*.png filter=lfs\n"
    assert with_lfs_lines(b"", ["a.png"]) == b"a.png filter=lfs diff=lfs merge=lfs -text\n"


def test_an_lfs_pointer_in_the_folder_is_refused_with_the_manifest_position(tmp_path: Path) -> None:
    make_app(tmp_path / "app")
    (tmp_path / "app" / "logo.png").write_bytes(POINTER)
    manifest = write_space(tmp_path)
    result = load_manifests([tmp_path / "manifests"], repo_root=tmp_path)
    assert not result.ok and not result.spaces
    (error,) = result.errors
    assert error.location is not None and error.location.file.endswith("space.yaml") and error.location.line == 7
    assert "logo.png is a Git LFS pointer" in error.message and "lfs: true" in error.message
    assert manifest.exists()
