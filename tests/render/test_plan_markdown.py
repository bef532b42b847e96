from __future__ import annotations

import html as html_module
import re
from html.parser import HTMLParser
from typing import Any

import markdown_it
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reconciler.model import Action, Change, Cost, FileChanges, FileEntry, Plan, PlanEntry, Reason, ReasonCode, Rung
from reconciler.render import GITHUB_COMMENT_LIMIT, render_plan_markdown
from reconciler.render._markdown import ZWJ
from reconciler.render.plan_markdown import md_text

NOTE = "truncated to fit GitHub's comment limit; see the full plan artifact."
RUNGS = [Rung.SETTINGS, Rung.HOT_RELOAD, Rung.UPLOAD, Rung.REBUILD, Rung.CREATE, Rung.DELETE]
ACTIONS = {Rung.CREATE: Action.CREATE, Rung.DELETE: Action.DELETE}


def fleet_entry(i: int, reason_words: int = 40, files: int = 4) -> PlanEntry:
    rung = RUNGS[i % len(RUNGS)]
    return PlanEntry(
        id=f"acme/space-{i:04d}",
        action=ACTIONS.get(rung, Action.UPDATE),
        rung=rung,
        restarts=i % 2,
        reasons=(
            Reason(
                code=ReasonCode.TEXT, detail=" ".join(["requirements.txt changed"] * reason_words) + f" -> {rung.value}"
            ),
        ),
        changes=(Change(path="spec.hardware", before="cpu-basic", after="t4-small"),),
        files=FileChanges(modified=tuple(FileEntry(path=f"src/module_{n}.py", size=100 * n) for n in range(files))),
        cost=Cost(before_usd_per_hour=0.0, after_usd_per_hour=0.4),
    )


def plan_of(*entries: PlanEntry) -> Plan:
    return Plan(created_at="2026-11-22T10:00:00Z", hub="https://huggingface.co", spaces=entries)


def parse(markdown: str) -> list[Any]:
    return list(markdown_it.MarkdownIt("commonmark").enable("table").enable("strikethrough").parse(markdown))


def to_html(markdown: str) -> str:
    return str(markdown_it.MarkdownIt("commonmark").enable("table").enable("strikethrough").render(markdown))


def assert_well_formed(markdown: str) -> None:
    rendered = to_html(markdown)  # raw HTML passes through; the same text in a code span is escaped
    assert rendered.count("<details>") == rendered.count("</details>") == markdown.count("</details>\n")
    lines = markdown.split("\n")
    for i, line in enumerate(lines):  # a table head is never cut off from its first row
        if line.startswith(("| | Field |", "| | File |")):
            assert lines[i + 1].startswith("|:-:|") and lines[i + 2].startswith("| ")
    tags = TagCollector.of(to_html(markdown))
    assert tags <= {"h2", "table", "thead", "tbody", "tr", "th", "td", "p", "strong", "em", "ul", "li",
                    "blockquote", "details", "summary", "code", "b", "hr"}  # fmt: skip


class TagCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)

    @classmethod
    def of(cls, html: str) -> set[str]:
        collector = cls()
        collector.feed(html)
        return collector.tags


def test_a_big_fleet_fits_in_a_github_comment() -> None:
    plan = plan_of(*(fleet_entry(i) for i in range(400)))
    markdown = render_plan_markdown(plan)
    assert len(markdown) <= GITHUB_COMMENT_LIMIT
    assert re.search(r"\d+ sections " + re.escape(NOTE), markdown)
    for i in range(400):  # every Space keeps at least its summary line
        assert f"acme/space-{i:04d}</code>" in markdown or f"acme/space-{i:04d}`" in markdown
    assert_well_formed(markdown)


def test_the_longest_sections_are_cut_first() -> None:
    small = [fleet_entry(i, reason_words=2, files=1) for i in range(5)]
    huge = fleet_entry(99, reason_words=2, files=500)
    plan = plan_of(*small, huge)
    full = render_plan_markdown(plan, max_chars=10**7)
    markdown = render_plan_markdown(plan, max_chars=len(full) // 3)
    assert len(markdown) <= len(full) // 3
    assert "1 section " + NOTE in markdown
    for entry in small:  # the small sections are intact
        section = re.search(rf"<details><summary><code>. {entry.id}<.*?</details>", full, re.S)
        assert section and section.group(0) in markdown
    assert re.search(r"_… \d+ more lines not shown here; see the full plan artifact\._", markdown)
    assert_well_formed(markdown)


def test_within_the_limit_nothing_is_cut() -> None:
    markdown = render_plan_markdown(plan_of(*(fleet_entry(i) for i in range(3))))
    assert "truncated" not in markdown and "not shown" not in markdown


def test_when_even_summaries_do_not_fit_spaces_are_left_out_and_counted() -> None:
    plan = plan_of(*(fleet_entry(i) for i in range(2000)))
    markdown = render_plan_markdown(plan, max_chars=20_000)
    assert len(markdown) <= 20_000
    assert re.search(r"\d+ sections truncated and \d+ more Spaces left out to fit GitHub's comment limit", markdown)
    assert_well_formed(markdown)


@given(st.integers(min_value=1_500, max_value=60_000), st.integers(min_value=1, max_value=60))
@settings(max_examples=40, deadline=None)
def test_any_limit_is_respected(max_chars: int, spaces: int) -> None:
    plan = plan_of(*(fleet_entry(i, reason_words=i % 50, files=i % 30) for i in range(spaces)))
    markdown = render_plan_markdown(plan, max_chars=max_chars)
    assert len(markdown) <= max_chars
    assert_well_formed(markdown)


EVIL = [
    "a|b",
    "`tick` and ``double``",
    "<img src=x onerror=alert(1)>",
    "</details><details open>",
    "<!-- comment",
    "**bold** _em_ ~~strike~~ [link](http://x) ![img](http://x)",
    "# heading",
    "- list",
    "1. list",
    "> quote",
    "back\\slash\\|pipe",
    "$x^2$",
    "line\nbreak\r\n| new | row |",
    "&lt; entity &amp;",
]


@pytest.mark.parametrize("evil", EVIL)
def test_user_strings_render_literally(evil: str) -> None:
    entry = PlanEntry(
        id="acme/demo",
        action=Action.UPDATE,
        rung=Rung.UPLOAD,
        reasons=(Reason(code=ReasonCode.TEXT, detail=evil),),
        changes=(Change(path=f"spec.variables.{evil}", before=evil, after=None, note=evil),),
        files=FileChanges(added=(FileEntry(path=evil, size=1),)),
        warnings=(evil,),
    )
    markdown = render_plan_markdown(plan_of(entry), title=evil)
    tokens = parse(markdown)
    # Tables keep their shape: every row has as many cells as the header.
    rows: list[int] = []
    cells = 0
    for token in tokens:
        kind = token.type
        if kind == "tr_open":
            cells = 0
        elif kind in ("td_open", "th_open"):
            cells += 1
        elif kind == "tr_close":
            rows.append(cells)
    assert sorted(rows) == [3, 3, 5, 5, 9, 9]  # files, changes, summary: header and one row each
    assert_well_formed(markdown)
    # The text a reader sees is the string itself (control characters shown as escapes).
    shown = evil.replace("\r", "\\r").replace("\n", "\\n")
    plain = re.sub(r"<[^>]+>", "", to_html(markdown)).replace(ZWJ, "")  # the joiner that breaks links is invisible
    assert html_module.unescape(plain).count(shown) >= 4


def test_markdown_escape_keeps_identifiers_readable() -> None:
    assert md_text("OPENAI_API_KEY") == "OPENAI_API_KEY"
    assert md_text("_em_") == "\\_em\\_"
    assert md_text("a|b") == "a&#124;b"


def test_extra_header_is_inserted_as_is_and_title_is_escaped() -> None:
    marker = "<!-- spaces-reconciler-plan -->"
    markdown = render_plan_markdown(plan_of(fleet_entry(1)), title="Plan for <PR> #12", extra_header=marker)
    assert markdown.startswith(f"## Plan for &lt;PR> #{ZWJ}12\n\n" + marker + "\n")


def test_no_changes() -> None:
    markdown = render_plan_markdown(plan_of(PlanEntry(id="acme/a", action=Action.NOOP, rung=Rung.NONE)))
    assert "**No changes.** The Hub matches the manifests (1 Space checked)." in markdown
    assert "<details>" not in markdown
