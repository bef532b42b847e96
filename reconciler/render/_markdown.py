"""Neutral markdown for text we did not write: file names, commit titles and authors, Space ids
and messages from the Hub, values from manifests. The one place every markdown renderer (plan
comment, drift issue, the action's summaries) turns such a string into GitHub markdown.

Whatever the string holds, it reads on GitHub exactly as written and does nothing: no HTML
(`</summary>` would close our collapsible section), no emphasis, links or images, no table cell
ended early, no `@mention` or `#123` reference (they notify people and cross-link issues), no
autolinked URL. Mentions and references are broken with a zero-width joiner after `@` / `#`,
invisible to a reader; inside code spans GitHub links nothing, so code keeps the exact text.
"""

from __future__ import annotations

import html
import re

from reconciler.render._common import visible

ZWJ = "\u200d"
# Entities for what could end a table cell, open a code span, start HTML or an escape.
_ENTITIES = {"&": "&amp;", "<": "&lt;", "|": "&#124;", "`": "&#96;", "\\": "&#92;"}
# Inline markdown syntax: emphasis, links, images, strikethrough, math.
_BACKSLASHED = frozenset("*_[]~!$")
# At the start of a line these open a list, heading, quote or setext underline.
_BLOCK_START = re.compile(r"^(?:[-+=#>]|\d+[.)])")
# What GitHub turns into links or notifications in plain text: mentions (also e-mail
# addresses), issue references, and the autolink extension's bare URLs.
_ACTIVE = re.compile(r"@(?=\w)|#(?=\d)|(?<=:)//|(?i:www)(?=\.)")
_BACKTICKS = re.compile(r"`+")


def _defuse(text: str) -> str:
    return _ACTIVE.sub(lambda m: m.group(0) + ZWJ if m.group(0)[0] in "@#" else ZWJ + m.group(0), text)


def md_text(value: object) -> str:
    """Markdown text that renders exactly as the string reads, on one line, safe in a table cell."""
    text = _defuse(visible(str(value)))  # before escaping: entities such as &#124; hold a '#'
    escaped = "".join(_escape_char(text, i) for i in range(len(text)))
    match = _BLOCK_START.match(escaped)
    if match:
        marker = match.group(0)
        escaped = marker[:-1] + "\\" + marker[-1] + escaped[len(marker) :]
    return escaped


def _escape_char(text: str, i: int) -> str:
    ch = text[i]
    if ch in _ENTITIES:
        return _ENTITIES[ch]
    if ch == "_" and 0 < i < len(text) - 1 and text[i - 1].isalnum() and text[i + 1].isalnum():
        return ch  # an underscore inside a word never emphasizes (OPENAI_API_KEY stays readable)
    return "\\" + ch if ch in _BACKSLASHED else ch


def md_code(value: object) -> str:
    """An inline code span holding exactly the string, safe in a table cell.

    The fence is one backtick longer than the longest run inside, so no backtick in the text
    can close it; a space pads text that starts or ends with a backtick or a space (CommonMark
    strips one such pair). In a table GitHub reads `\\|` inside a code span as `|`.
    """
    text = visible(str(value)).replace("|", "\\|")
    if not text:
        return ""
    fence = "`" * (max((len(run) for run in _BACKTICKS.findall(text)), default=0) + 1)
    pad = " " if text[0] in "` " or text[-1] in "` " else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def html_text(value: object) -> str:
    """Text inside raw HTML (a <summary>), where markdown is not parsed but mentions still are."""
    return html.escape(_defuse(visible(str(value))), quote=True)


def md_fence(lines: list[str], info: str = "text") -> list[str]:
    """A fenced code block around `lines` that no line inside can close."""
    body = [visible(line) for line in lines]
    longest = max((len(run) for line in body for run in _BACKTICKS.findall(line)), default=0)
    fence = "`" * max(3, longest + 1)
    return [fence + info, *body, fence]


def md_link(text: object, url: str) -> str:
    """A link whose text is neutral; a URL that is not http(s) is shown as code, never linked."""
    if not re.match(r"https?://", url):
        return md_code(text)
    target = re.sub(r"[\s()<>\[\]`|\\]", lambda m: f"%{ord(m.group(0)):02X}", url)
    return f"[{md_text(text)}]({target})"
