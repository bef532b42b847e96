"""Markdown from strangers (file names and commit titles on the Hub, Space names, apply messages)
reaches the pull-request comment, the drift issue and the job summary as inert text: no
@mention, issue reference, link, autolink or HTML of its own, whatever it holds."""

from __future__ import annotations

import json
import re

import markdown_it
import pytest

from reconciler.ci import drift_issue, views
from reconciler.ci.comment import Links
from reconciler.drift import CommitRef, DriftDetail, DriftEntry, DriftReport, DriftStatus
from reconciler.model import Action, Change, FileChanges, FileEntry, Plan, PlanEntry, Reason, ReasonCode, Rung
from reconciler.render._markdown import md_code, md_fence
from reconciler.render.drift_views import drift_to_json, render_drift_markdown
from reconciler.render.plan_markdown import render_plan_markdown

HOSTILE = [
    "@octocat please approve",
    "cc @acme/security-team",
    "fixes #1 and acme/fleet#2",
    "see https://evil.example/login and www.evil.example",
    "</summary></details><h1>owned</h1><details><summary>",
    "<a href='https://evil.example'>click</a>",
    "[click](https://evil.example) ![x](https://evil.example/p.png) <https://evil.example>",
    "`` ` ``` code ` and mail me: mallory@evil.example",
]


def to_html(markdown: str) -> str:
    parser = markdown_it.MarkdownIt("commonmark", {"linkify": False}).enable("table").enable("strikethrough")
    return str(parser.render(markdown))


def assert_inert(markdown: str, sections: int, ours: str = "") -> None:
    html = to_html(markdown.replace(ours, "") if ours else markdown)
    assert "<a " not in html and "<img" not in html and "<h1>owned" not in html
    # Each Space's collapsible section is ours alone: no stranger closes or opens one.
    assert html.count("</summary>") == html.count("<summary>") <= sections
    opened = len(re.findall(r"<details[ >]", html))
    assert html.count("</details>") == opened == len(re.findall(r"<details[^>]*>\s*<summary>", html))
    # Outside code (where GitHub links nothing) nothing can mention, reference or autolink.
    text = re.sub(r"<code[^>]*>.*?</code>", "", html, flags=re.S)
    assert not re.search(r"@\w", text), text
    assert not re.search(r"#\d", text), text
    assert "://" not in text and not re.search(r"(?i)(?<![\w\u200d])www\.", text), text


def plan_with(strings: list[str]) -> Plan:
    entries = tuple(
        PlanEntry(
            id=f"acme/space-{i}",
            action=Action.UPDATE,
            rung=Rung.UPLOAD,
            reasons=(Reason(code=ReasonCode.TEXT, detail=f"{s} changed"),),
            changes=(Change(path="spec.variables.NOTE", before=s, after=None, note=s),),
            files=FileChanges(added=(FileEntry(path=s, size=1),)),
            warnings=(s,),
        )
        for i, s in enumerate(strings)
    )
    return Plan(created_at="2026-11-22T10:00:00Z", hub="https://huggingface.co", spaces=entries)


def drift_with(strings: list[str]) -> DriftReport:
    entries = [
        DriftEntry(
            id=f"acme/space-{i}",
            status=DriftStatus.DRIFTED,
            stage="RUNNING",
            changes=(Change(path="spec.variables.NOTE", before="a", after=s),),
            detail=DriftDetail(
                message=s,
                files=FileChanges(modified=(FileEntry(path=s, size=3),)),
                commits_since_reconciler=(CommitRef(id="c0ffee" * 6 + "ab", author=s, title=s, date="2026-11-21"),),
                variables_updated_outside=(s,),
                manifest=s,
            ),
        )
        for i, s in enumerate(strings)
    ]
    entries.append(DriftEntry(id="acme/@octocat-#3", status=DriftStatus.UNMANAGED, stage="RUNNING"))
    counts = {s.value: sum(1 for e in entries if e.status is s) for s in DriftStatus}
    return DriftReport(
        created_at="2026-11-22T04:17:00Z", hub="https://huggingface.co", spaces=tuple(entries), summary=counts
    )


@pytest.mark.parametrize("hostile", HOSTILE)
def test_the_plan_comment_neutralises_strangers(hostile: str) -> None:
    assert_inert(render_plan_markdown(plan_with([hostile]), title=hostile), sections=1)


@pytest.mark.parametrize("hostile", HOSTILE)
def test_the_drift_issue_neutralises_strangers(hostile: str) -> None:
    report = drift_with([hostile])
    assert_inert(render_drift_markdown(report), sections=0)
    # The action's issue body, built from the report's JSON form.
    assert_inert(drift_issue.body(json.loads(drift_to_json(report)), "manifests", Links()), sections=2)


@pytest.mark.parametrize("hostile", HOSTILE)
def test_the_job_summary_neutralises_strangers(hostile: str) -> None:
    applied = {
        "results": [
            {"id": "acme/x", "rung": "upload", "outcome": "failed", "message": hostile, "log_tail": [hostile, "```"]}
        ],
        "summary": {"failed": 1},
    }
    text = views.apply_results(applied, "manifests")
    assert_inert(text, sections=1)
    preview = {"id": hostile, "url": "javascript:alert(1)", "source": hostile, "outcome": "failed", "message": hostile}
    previews = {"pr": 7, "previews": [preview]}
    assert_inert(views.previews(previews, hostile, "", "", down=False), sections=0, ours="for #7")


@pytest.mark.parametrize("text", ["plain", "a`b", "``", "`start", "end`", " both ", "x|y", "@octocat"])
def test_code_spans_hold_the_exact_text(text: str) -> None:
    html = to_html(f"| a |\n|---|\n| {md_code(text)} |\n")
    (inner,) = re.findall(r"<code>(.*?)</code>", html, re.S)
    assert inner.replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"') == text


def test_a_fence_no_line_can_close() -> None:
    lines = ["```", "````", "~~~", "</details>"]
    html = to_html("\n".join(md_fence(lines)) + "\nafter\n")
    assert html.startswith("<pre><code") and html.count("<pre>") == 1 and "<p>after</p>" in html
