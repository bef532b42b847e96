"""How the Hub stores a file: as a plain git blob ("regular") or as LFS/Xet content ("lfs").

The one place that holds the rule (hub-contract.md §8.2). Preupload answers with it, and the
commit route uses the same pieces to refuse what the Hub refuses inline and to append the
`.gitattributes` line the Hub appends. In order:

1. an empty file is regular (the client forces it too: S3 cannot take an empty LFS object);
2. `.gitattributes` itself is regular: git reads it from the tree, it cannot be a pointer;
3. a path a `filter=lfs` pattern of the repo's `.gitattributes` covers is lfs;
4. a file over 10 MiB is lfs ("Your push was rejected because it contains files larger than
   10 MiB", huggingface_hub issue #2666);
5. a file whose 512-byte sample holds a NUL byte is lfs: the Hub refuses binary files in plain
   git (huggingface_hub PR #657; hub-contract §8.2). The exact small-binary rule is not
   recorded; NUL in the sample is git's own binary test and what the client lets us see.

Patterns follow gitattributes(5): one pattern per line, then attributes (`filter=lfs` sets,
`-filter` unsets, `!filter` makes it unspecified); the last matching line wins; a pattern
without a slash matches the file name at any depth, one with a slash matches the whole path
from the root; `*` and `?` never cross '/', `**` is special as a whole path component;
bracket expressions take ranges, negation and POSIX classes (`[[:space:]]`, which git-lfs
writes for a space); a pattern ending in '/' matches directories only, so never a file.
Only the root `.gitattributes` is read, as the contract describes.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum

import pathspec

LFS_MIN_SIZE = 10 * 1024 * 1024  # "larger than 10 MiB" (huggingface_hub issue #2666)
SAMPLE_SIZE = 512  # what the client sends in preupload (`upload_info.sample`)
LFS_ATTRIBUTES = "filter=lfs diff=lfs merge=lfs -text"

# What the Hub writes into a new repo: the ~35 patterns listed in hub-contract §8.2, in the order
# public Hub repositories show them (their first commit's .gitattributes).
DEFAULT_GITATTRIBUTES = """\
*.7z filter=lfs diff=lfs merge=lfs -text
*.arrow filter=lfs diff=lfs merge=lfs -text
*.bin filter=lfs diff=lfs merge=lfs -text
*.bz2 filter=lfs diff=lfs merge=lfs -text
*.ckpt filter=lfs diff=lfs merge=lfs -text
*.ftz filter=lfs diff=lfs merge=lfs -text
*.gz filter=lfs diff=lfs merge=lfs -text
*.h5 filter=lfs diff=lfs merge=lfs -text
*.joblib filter=lfs diff=lfs merge=lfs -text
*.lfs.* filter=lfs diff=lfs merge=lfs -text
*.mlmodel filter=lfs diff=lfs merge=lfs -text
*.model filter=lfs diff=lfs merge=lfs -text
*.msgpack filter=lfs diff=lfs merge=lfs -text
*.npy filter=lfs diff=lfs merge=lfs -text
*.npz filter=lfs diff=lfs merge=lfs -text
*.onnx filter=lfs diff=lfs merge=lfs -text
*.ot filter=lfs diff=lfs merge=lfs -text
*.parquet filter=lfs diff=lfs merge=lfs -text
*.pb filter=lfs diff=lfs merge=lfs -text
*.pickle filter=lfs diff=lfs merge=lfs -text
*.pkl filter=lfs diff=lfs merge=lfs -text
*.pt filter=lfs diff=lfs merge=lfs -text
*.pth filter=lfs diff=lfs merge=lfs -text
*.rar filter=lfs diff=lfs merge=lfs -text
*.safetensors filter=lfs diff=lfs merge=lfs -text
saved_model/**/* filter=lfs diff=lfs merge=lfs -text
*.tar.* filter=lfs diff=lfs merge=lfs -text
*.tar filter=lfs diff=lfs merge=lfs -text
*.tflite filter=lfs diff=lfs merge=lfs -text
*.tgz filter=lfs diff=lfs merge=lfs -text
*.wasm filter=lfs diff=lfs merge=lfs -text
*.xz filter=lfs diff=lfs merge=lfs -text
*.zip filter=lfs diff=lfs merge=lfs -text
*.zst filter=lfs diff=lfs merge=lfs -text
*tfevents* filter=lfs diff=lfs merge=lfs -text
"""


@dataclass
class UploadPolicy:
    """LFS batch tuning the evidence does not fix; tests may lower it (`hub.store.upload_policy`)."""

    # LFS batch: objects at least this large get a multipart upload when the client offers it
    # (the Hub's threshold and part size are not recorded).
    multipart_threshold: int = 64 * 1024 * 1024
    multipart_chunk_size: int = 16 * 1024 * 1024


class UploadMode(str, Enum):
    REGULAR = "regular"
    LFS = "lfs"


class Reason(str, Enum):
    """Why a file is lfs (or regular): kept so a refusal can say which rule applied."""

    EMPTY = "empty"
    ATTRIBUTES_FILE = "attributes_file"
    PATTERN = "pattern"
    LARGE = "large"
    BINARY = "binary"
    TEXT = "text"


@dataclass(frozen=True)
class Decision:
    mode: UploadMode
    reason: Reason


def is_binary(sample: bytes) -> bool:
    return b"\0" in sample[:SAMPLE_SIZE]


def decide(path: str, size: int, sample: bytes, attributes: GitAttributes) -> Decision:
    if size == 0:
        return Decision(UploadMode.REGULAR, Reason.EMPTY)
    if path == ".gitattributes":
        return Decision(UploadMode.REGULAR, Reason.ATTRIBUTES_FILE)
    if attributes.is_lfs(path):
        return Decision(UploadMode.LFS, Reason.PATTERN)
    if size > LFS_MIN_SIZE:
        return Decision(UploadMode.LFS, Reason.LARGE)
    if is_binary(sample):
        return Decision(UploadMode.LFS, Reason.BINARY)
    return Decision(UploadMode.REGULAR, Reason.TEXT)


# ---------------------------------------------------------------------- .gitattributes


@dataclass(frozen=True)
class _Rule:
    regex: re.Pattern[str]
    basename: bool  # match the last path component only (the pattern has no slash)
    lfs: bool | None  # filter=lfs -> True, another filter or -filter -> False, !filter -> None


class GitAttributes:
    """The `filter` attribute of paths, from the text of a root `.gitattributes`."""

    def __init__(self, text: str) -> None:
        self.rules: list[_Rule] = []
        for line in text.splitlines():
            rule = _parse_line(line)
            if rule is not None:
                self.rules.append(rule)

    def is_lfs(self, path: str) -> bool:
        name = path.rsplit("/", 1)[-1]
        for rule in reversed(self.rules):
            if rule.regex.fullmatch(name if rule.basename else path):
                if rule.lfs is not None:
                    return rule.lfs
                return False  # "!filter": back to unspecified, whatever earlier lines said
        return False


def _parse_line(line: str) -> _Rule | None:
    line = line.strip(" \t\r")
    if not line or line.startswith("#"):
        return None
    if line.startswith('"'):
        pattern, rest = _unquote(line)
    else:
        # An unquoted pattern ends at the first blank: git has no escape for a space here.
        pattern, _, rest = line.replace("\t", " ").partition(" ")
    if pattern.startswith("[attr]") or pattern.startswith("!"):
        return None  # macro definitions and negative patterns (which git forbids) set no filter
    lfs: bool | None = None
    seen = False
    for token in rest.split():
        if token == "filter=lfs":
            lfs, seen = True, True
        elif token.startswith("filter=") or token in ("-filter", "filter"):
            lfs, seen = False, True
        elif token == "!filter":
            lfs, seen = None, True
    if not seen or pattern.endswith("/"):
        return None
    anchored = pattern.startswith("/")
    pattern = pattern.lstrip("/") if anchored else pattern
    basename = not anchored and "/" not in pattern
    return _Rule(re.compile(_translate(pattern)), basename, lfs)


def _unquote(line: str) -> tuple[str, str]:
    """A C-style quoted pattern (git accepts one in .gitattributes) and the rest of the line."""
    out, index = [], 1
    escapes = {"n": "\n", "t": "\t", '"': '"', "\\": "\\", "a": "\a", "b": "\b", "f": "\f", "r": "\r", "v": "\v"}
    while index < len(line) and line[index] != '"':
        char = line[index]
        if char == "\\" and index + 1 < len(line):
            nxt = line[index + 1]
            if nxt in "01234567" and re.match(r"[0-7]{3}", line[index + 1 : index + 4]):
                out.append(chr(int(line[index + 1 : index + 4], 8)))
                index += 4
                continue
            out.append(escapes.get(nxt, nxt))
            index += 2
            continue
        out.append(char)
        index += 1
    return "".join(out), line[index + 1 :]


_POSIX_CLASSES = {
    "alnum": "a-zA-Z0-9",
    "alpha": "a-zA-Z",
    "blank": " \\t",
    "cntrl": "\\x00-\\x1f\\x7f",
    "digit": "0-9",
    "graph": "!-~",
    "lower": "a-z",
    "print": " -~",
    "punct": "!-/:-@\\[-`{-~",
    "space": " \\t\\n\\r\\f\\v",
    "upper": "A-Z",
    "xdigit": "0-9A-Fa-f",
}


def _translate(pattern: str) -> str:
    """A regex for one wildmatch pattern, as git matches attributes (WM_PATHNAME)."""
    out: list[str] = []
    index, length = 0, len(pattern)
    while index < length:
        char = pattern[index]
        if char == "*":
            stars = index
            while index < length and pattern[index] == "*":
                index += 1
            whole_component = (stars == 0 or pattern[stars - 1] == "/") and (index == length or pattern[index] == "/")
            if index - stars >= 2 and whole_component:
                if index == length:
                    out.append(".*")  # trailing "/**": everything inside
                else:
                    out.append("(?:.*/)?")  # "**/": zero or more directories
                    index += 1
            else:
                out.append("[^/]*")
            continue
        if char == "?":
            out.append("[^/]")
        elif char == "[":
            parsed = _bracket(pattern, index)
            if parsed is None:
                out.append(re.escape(char))
            else:
                expression, index = parsed
                out.append(expression)
                continue
        elif char == "\\" and index + 1 < length:
            index += 1
            out.append(re.escape(pattern[index]))
        else:
            out.append(re.escape(char))
        index += 1
    return "".join(out)


def _bracket(pattern: str, start: int) -> tuple[str, int] | None:
    """(regex, index after it) for the bracket expression at `start`, or None when it is unclosed."""
    index = start + 1
    negate = index < len(pattern) and pattern[index] in "!^"
    if negate:
        index += 1
    items: list[str] = []  # regex pieces: an escaped character, a range, or a POSIX class
    first = True
    while index < len(pattern):
        char = pattern[index]
        if char == "]" and not first:
            body = "".join(items)
            return (f"[^/{body}]" if negate else f"(?!/)[{body}]"), index + 1
        first = False
        if pattern.startswith("[:", index):
            end = pattern.find(":]", index + 2)
            if end != -1 and pattern[index + 2 : end] in _POSIX_CLASSES:
                items.append(_POSIX_CLASSES[pattern[index + 2 : end]])
                index = end + 2
                continue
        if char == "\\" and index + 1 < len(pattern):
            index += 1
            char = pattern[index]
        if pattern.startswith("-", index + 1) and index + 2 < len(pattern) and pattern[index + 2] != "]":
            high = pattern[index + 2]
            if high == "\\" and index + 3 < len(pattern):
                high, index = pattern[index + 3], index + 1
            items.append(f"{re.escape(char)}-{re.escape(high)}")
            index += 3
            continue
        items.append(re.escape(char))
        index += 1
    return None


def attribute_line(path: str) -> str:
    """The `.gitattributes` line that makes exactly `path` an LFS file.

    Escaped as `git lfs track --filename` does (glob characters and '\\' get a backslash, a space
    becomes `[[:space:]]`, '#' becomes `\\#`): the Hub's own escaping is not recorded; this is the
    convention the LFS tooling around it writes and reads.
    """
    escaped = []
    for char in path:
        if char in "*?[]\\!#":
            escaped.append("\\" + char)
        elif char == " ":
            escaped.append("[[:space:]]")
        else:
            escaped.append(char)
    return f"{''.join(escaped)} {LFS_ATTRIBUTES}"


def with_line_for(text: str, path: str) -> str:
    """`text` (a .gitattributes, maybe empty) with the line for `path` appended."""
    if text and not text.endswith("\n"):
        text += "\n"
    return f"{text}{attribute_line(path)}\n"


# ---------------------------------------------------------------------- .gitignore


def gitignore_matcher(text: str) -> Callable[[str], bool]:
    """Which paths the Hub drops (`shouldIgnore`) for this .gitignore text (gitignore(5) via pathspec)."""
    if not text.strip():
        return lambda path: False
    spec = pathspec.GitIgnoreSpec.from_lines(text.splitlines())
    return lambda path: path not in (".gitignore", ".gitattributes") and spec.match_file(path)
