"""The Hub's upload-mode rule (reconciler/localhub/uploadmode.py): one decision table, and the
`.gitattributes` matcher checked against git itself (`git check-attr`)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from reconciler.localhub.uploadmode import (
    DEFAULT_GITATTRIBUTES,
    GitAttributes,
    UploadMode,
    attribute_line,
    decide,
    gitignore_matcher,
    with_line_for,
)

PNG_HEAD = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"
MIB = 1024 * 1024
DEFAULTS = GitAttributes(DEFAULT_GITATTRIBUTES)
LFS, REGULAR = UploadMode.LFS, UploadMode.REGULAR

# (path, size, sample, .gitattributes text or None for the default one) -> mode
TABLE = [
    ("app.py", 120, b"import gradio\n", None, REGULAR),
    ("requirements.txt", 30, b"gradio\n", None, REGULAR),
    ("examples/cat.png", 4000, PNG_HEAD, None, LFS),  # binary sample, no pattern
    ("audio/voice.wav", 16_044, b"RIFF\x2c\x3e\x00\x00WAVEfmt ", None, LFS),
    ("weights/model.bin", 12 * MIB, b"text-looking weights", None, LFS),  # *.bin
    ("model.onnx", 100, b"no NUL here", None, LFS),  # *.onnx covers even text
    ("data/table.parquet", 10, b"PAR1", None, LFS),
    ("saved_model/variables/variables.index", 10, b"idx", None, LFS),  # saved_model/**/*
    ("nested/saved_model/x", 10, b"idx", None, REGULAR),  # a slash anchors the pattern at the root
    ("logs/events.out.tfevents.1700000000.host", 10, b"ev", None, LFS),
    ("archive.tar.gz", 10, b"tgz", None, LFS),
    ("notes.lfs.txt", 10, b"x", None, LFS),  # *.lfs.*
    ("big.csv", 10 * MIB + 1, b"a,b\n", None, LFS),  # over 10 MiB
    ("ten.csv", 10 * MIB, b"a,b\n", None, REGULAR),  # exactly 10 MiB is not over
    ("empty.bin", 0, b"", None, REGULAR),  # empty: regular even under *.bin
    (".gitattributes", 5000, b"*.bin filter=lfs", None, REGULAR),
    ("image.png", 4000, b"\x00", "*.png -filter\n", LFS),  # unset filter: still binary
    ("doc.md", 10, b"# hi", "*.md filter=lfs diff=lfs merge=lfs -text\n", LFS),
    ("README.md", 10, b"# hi", "*.md filter=lfs\nREADME.md !filter\n", REGULAR),  # last match wins
    ("a.bin", 10, b"text", "", REGULAR),  # a repo whose .gitattributes was emptied
]


@pytest.mark.parametrize(("path", "size", "sample", "attributes", "mode"), TABLE)
def test_upload_modes(path: str, size: int, sample: bytes, attributes: str | None, mode: UploadMode) -> None:
    rules = DEFAULTS if attributes is None else GitAttributes(attributes)
    assert decide(path, size, sample, rules).mode is mode


def test_the_default_gitattributes_holds_the_hubs_patterns() -> None:
    patterns = [line.split(" ", 1)[0] for line in DEFAULT_GITATTRIBUTES.splitlines()]
    assert patterns == [
        "*.7z", "*.arrow", "*.bin", "*.bz2", "*.ckpt", "*.ftz", "*.gz", "*.h5", "*.joblib", "*.lfs.*",
        "*.mlmodel", "*.model", "*.msgpack", "*.npy", "*.npz", "*.onnx", "*.ot", "*.parquet", "*.pb",
        "*.pickle", "*.pkl", "*.pt", "*.pth", "*.rar", "*.safetensors", "saved_model/**/*", "*.tar.*",
        "*.tar", "*.tflite", "*.tgz", "*.wasm", "*.xz", "*.zip", "*.zst", "*tfevents*",
    ]  # fmt: skip
    assert all(line.endswith(" filter=lfs diff=lfs merge=lfs -text") for line in DEFAULT_GITATTRIBUTES.splitlines())


ATTRIBUTES = (
    DEFAULT_GITATTRIBUTES
    + "*.png filter=lfs diff=lfs merge=lfs -text\n"
    + "docs/** filter=lfs\n"
    + "docs/keep.md -filter\n"
    + "/top.dat filter=lfs\n"
    + "img/[a-c]?.jpg filter=lfs\n"
    + "img/[!a-c]*.gif filter=lfs\n"
    + "**/deep/*.txt filter=lfs\n"
    + "a/**/b.csv filter=lfs\n"
    + "my[[:space:]]file.png filter=lfs\n"
    + '"quoted name.wav" filter=lfs\n'
    + "dir/ filter=lfs\n"
    + "*.md !filter\n"
    + "\\#hash.txt filter=lfs\n"
    + "# a comment line\n"
    + "[attr]binary -diff -merge -text\n"
)
PATHS = [
    "a.bin", "x/y/a.bin", "a.png", "x/a.png", "docs/a.md", "docs/x/y.txt", "docs/keep.md", "top.dat",
    "x/top.dat", "img/a1.jpg", "img/d1.jpg", "img/sub/a1.jpg", "img/x.gif", "img/a.gif", "deep/a.txt",
    "x/deep/a.txt", "x/y/deep/a.txt", "a/b.csv", "a/x/y/b.csv", "b.csv", "my file.png", "x/my file.png",
    "quoted name.wav", "dir", "dir/a.txt", "README.md", "#hash.txt", "saved_model/a/b", "x/saved_model/a",
    "events.tfevents.1", "a.tar.gz", "app.py", "binary", "é/ü b.png",
]  # fmt: skip


def _git_check_attr(tmp_path: Path, attributes: str, paths: list[str]) -> dict[str, bool]:
    repo = tmp_path / "repo"
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    (repo / ".gitattributes").write_text(attributes, encoding="utf-8")
    out = subprocess.run(
        ["git", "-C", str(repo), "-c", "core.quotePath=false", "check-attr", "-z", "filter", "--", *paths],
        check=True,
        capture_output=True,
    ).stdout.decode("utf-8")
    fields = out.split("\0")
    return {fields[i]: fields[i + 2] == "lfs" for i in range(0, len(fields) - 2, 3)}


def test_the_gitattributes_matcher_agrees_with_git(tmp_path: Path) -> None:
    expected = _git_check_attr(tmp_path, ATTRIBUTES, PATHS)
    rules = GitAttributes(ATTRIBUTES)
    assert {path: rules.is_lfs(path) for path in PATHS} == expected
    assert sum(expected.values()) > 15, "the oracle must see lfs paths, not just agree on False"


@pytest.mark.parametrize(
    "path", ["a b.png", "dir with space/x y.wav", "é/ü b.png", "we[ir]d*?.bin", "#tag.png", "!x.png"]
)
def test_the_appended_line_covers_exactly_that_path(tmp_path: Path, path: str) -> None:
    text = with_line_for("*.bin filter=lfs diff=lfs merge=lfs -text", path)
    assert text.endswith(attribute_line(path) + "\n") and text.count("\n") == 2
    others = ["other.png", "dir with space/x_y.wav", "é/ü_b.png", "weird.bin.txt", "tag.png", "x.png"]
    seen = _git_check_attr(tmp_path, text, [path, *others])
    assert seen[path], f"git does not see {path!r} as lfs with {attribute_line(path)!r}"
    assert not any(seen[other] for other in others if other != path)
    assert GitAttributes(text).is_lfs(path)


def test_a_space_is_written_the_way_git_lfs_writes_it() -> None:
    assert attribute_line("examples/my cat.png") == "examples/my[[:space:]]cat.png filter=lfs diff=lfs merge=lfs -text"


def test_gitignore_never_hides_the_git_files_themselves() -> None:
    ignored = gitignore_matcher("*\n")
    assert ignored("app.py") and not ignored(".gitignore") and not ignored(".gitattributes")
    assert not gitignore_matcher("")("anything")
