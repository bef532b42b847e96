"""How the Hub treats the files of a source folder: what it drops, what it stores with LFS.

- `.gitignore` at the folder's root: the client sends its content with the preupload and
  the Hub answers `shouldIgnore` for the paths it matches; the client then drops them
  without a word (huggingface_hub `create_commit`, hub-contract §8.2). The listing leaves
  them out the same way, with git's semantics, or they would be planned forever.
- LFS: the Hub stores a file through LFS/Xet when a `filter=lfs` pattern of the repo's
  `.gitattributes` covers it, when it is over 10 MB, or when its 512-byte sample looks
  binary (§8.2; the exact binary rule is not recorded, so `may_be_lfs` errs towards LFS).
  When a commit adds an LFS file that no pattern covers, the Hub appends a line for that
  path to `.gitattributes`. A folder that ships its own `.gitattributes` therefore gets
  those lines written by us (`with_lfs_lines`): the Hub then has nothing to append and the
  file on the Hub stays the one we uploaded. Over-predicting is harmless (our line makes
  the Hub store that file with LFS, and the comparison is by content either way).
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterable
from dataclasses import dataclass

import pathspec
from pathspec.patterns.gitignore.spec import GitIgnoreSpecPattern

GITIGNORE = ".gitignore"
GITATTRIBUTES = ".gitattributes"
# Paths the Hub never drops whatever .gitignore says, as the local Hub models it.
NEVER_IGNORED = (GITIGNORE, GITATTRIBUTES)
# The Hub's default .gitattributes for a new repository (hub-contract §8.2, the same list
# as in public Spaces' first commits).
DEFAULT_LFS_PATTERNS = (
    "*.7z", "*.arrow", "*.bin", "*.bz2", "*.ckpt", "*.ftz", "*.gz", "*.h5", "*.joblib", "*.lfs.*",
    "*.mlmodel", "*.model", "*.msgpack", "*.npy", "*.npz", "*.onnx", "*.ot", "*.parquet", "*.pb",
    "*.pickle", "*.pkl", "*.pt", "*.pth", "*.rar", "*.safetensors", "saved_model/**/*", "*.tar.*",
    "*.tar", "*.tflite", "*.tgz", "*.wasm", "*.xz", "*.zip", "*.zst", "*tfevents*",
)  # fmt: skip
REGULAR_MAX_BYTES = 10_000_000  # "over 10 MB": decimal, the smaller reading
SAMPLE_BYTES = 512  # what the client sends as the preupload sample
LFS_ATTRIBUTES = "filter=lfs diff=lfs merge=lfs -text"

# POSIX bracket classes git understands and pathspec does not.
_POSIX_CLASSES = {
    "[:space:]": " \t\n\r\f\v",
    "[:digit:]": "0-9",
    "[:alpha:]": "a-zA-Z",
    "[:alnum:]": "a-zA-Z0-9",
    "[:upper:]": "A-Z",
    "[:lower:]": "a-z",
}
_GLOB_SPECIAL = re.compile(r"([*?\[\\])")


def gitignore_spec(text: str) -> pathspec.GitIgnoreSpec:
    return pathspec.GitIgnoreSpec.from_lines(text.splitlines())


def _translate(pattern: str) -> str:
    for name, chars in _POSIX_CLASSES.items():
        pattern = pattern.replace(name, chars)
    return pattern


def _split_line(line: str) -> tuple[str, list[str]] | None:
    """(pattern, attributes) of one .gitattributes line, None for blanks and comments."""
    stripped = line.strip()
    if not stripped or stripped.startswith("#"):
        return None
    if stripped.startswith('"'):  # git accepts C-style quoted patterns
        end = 1
        while end < len(stripped) and (stripped[end] != '"' or stripped[end - 1] == "\\"):
            end += 1
        pattern = stripped[1:end].replace('\\"', '"').replace("\\\\", "\\")
        return pattern, stripped[end + 1 :].split()
    pattern, _, rest = stripped.partition(" ")
    if "\t" in pattern:
        pattern, _, more = pattern.partition("\t")
        rest = f"{more} {rest}"
    return pattern, rest.split()


@dataclass(frozen=True)
class _Rule:
    matcher: GitIgnoreSpecPattern
    lfs: bool


class Attributes:
    """The `filter` attribute of a .gitattributes file: which paths it sends to LFS.

    As in git, the last line that matches a path and sets, unsets or unspecifies `filter`
    decides; negative patterns and directory patterns never match a file.
    """

    def __init__(self, text: str) -> None:
        self.rules: list[_Rule] = []
        for line in text.splitlines():
            parsed = _split_line(line)
            if parsed is None:
                continue
            pattern, attributes = parsed
            decided = [a for a in attributes if a in ("-filter", "!filter") or a.startswith("filter=")]
            if not decided or pattern.startswith("!") or pattern.endswith("/"):
                continue
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    matcher = GitIgnoreSpecPattern(_translate(pattern))
            except (ValueError, re.error):
                continue  # a pattern git would read and we cannot: treated as covering nothing
            self.rules.append(_Rule(matcher, decided[-1] == "filter=lfs"))

    def lfs_covers(self, path: str) -> bool:
        covered = False
        for rule in self.rules:
            if rule.matcher.include is not None and rule.matcher.match_file(path) is not None:
                covered = rule.lfs
        return covered


DEFAULT_ATTRIBUTES = Attributes("\n".join(f"{p} {LFS_ATTRIBUTES}" for p in DEFAULT_LFS_PATTERNS))


def looks_binary(sample: bytes) -> bool:
    """A NUL byte, or bytes that are not UTF-8 (a character cut at the sample's end allowed)."""
    if b"\0" in sample:
        return True
    for cut in range(4):
        try:
            sample[: len(sample) - cut].decode("utf-8")
            return False
        except UnicodeDecodeError:
            continue
    return True


def may_be_lfs(path: str, size: int, sample: bytes) -> bool:
    """Whether the Hub may store this file with LFS whatever the repo's own .gitattributes says."""
    if size == 0:
        return False  # the client forces empty files to regular
    return size > REGULAR_MAX_BYTES or looks_binary(sample[:SAMPLE_BYTES]) or DEFAULT_ATTRIBUTES.lfs_covers(path)


def attribute_line(path: str) -> str:
    """The line that sends exactly `path` to LFS, written the way git-lfs writes it."""
    pattern = _GLOB_SPECIAL.sub(r"\\\1", path)
    if pattern.startswith(("#", "!")):
        pattern = "\\" + pattern
    return f"{pattern.replace(' ', '[[:space:]]').replace(chr(9), '[[:space:]]')} {LFS_ATTRIBUTES}"


def with_lfs_lines(original: bytes, lfs_paths: Iterable[str]) -> bytes:
    """`original` plus a line for each of `lfs_paths` it does not cover; `original` if none."""
    attributes = Attributes(original.decode("utf-8", errors="replace"))
    missing = sorted(p for p in set(lfs_paths) if not attributes.lfs_covers(p))
    if not missing:
        return original
    head = original if not original or original.endswith(b"\n") else original + b"\n"
    return head + "".join(f"{attribute_line(p)}\n" for p in missing).encode("utf-8")
