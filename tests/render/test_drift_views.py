"""Drift report views over hand-built DriftReports: text, JSON contract, markdown issue body, HTML page.

Golden cases: tests/render/drift_cases/<case>/report.json -> expected.txt, .json, .md, .html.
UPDATE_GOLDEN=1 rewrites the expected files (tests/golden.py).
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections.abc import Callable
from html.parser import HTMLParser
from pathlib import Path

import markdown_it
import pytest

from reconciler.ci import drift_issue
from reconciler.ci.comment import Links
from reconciler.drift import CommitRef, DriftDetail, DriftEntry, DriftReport, DriftStatus
from reconciler.model import Change, FileChanges, FileEntry, Volume
from reconciler.render import GITHUB_COMMENT_LIMIT
from reconciler.render.drift_views import drift_to_json, render_drift, render_drift_markdown
from tests.conftest import CANARY
from tests.golden import check_golden

CASES = Path(__file__).parent / "drift_cases"
EVIL = "<script>alert(1)</script>"
STATUSES = ["in_sync", "drifted", "missing", "unmanaged", "failed"]

RENDERERS: dict[str, Callable[[DriftReport], str]] = {
    "expected.txt": lambda report: render_drift(report, "text", color=False),
    "expected.json": lambda report: render_drift(report, "json", color=False),
    "expected.md": lambda report: render_drift(report, "markdown", color=False),
    "expected.html": lambda report: render_drift(report, "html", color=False),
}


def case_names() -> list[str]:
    return sorted(p.name for p in CASES.iterdir() if (p / "report.json").is_file())


def load_case(name: str) -> DriftReport:
    return DriftReport.model_validate_json((CASES / name / "report.json").read_text(encoding="utf-8"))


def report_of(*entries: DriftEntry, summary: bool = True) -> DriftReport:
    counts = {s.value: sum(1 for e in entries if e.status is s) for s in DriftStatus} if summary else {}
    return DriftReport(created_at="2026-11-22T04:17:00Z", hub="https://huggingface.co", spaces=entries, summary=counts)


def one_of_each() -> DriftReport:
    """Every status once, listed out of order; the drifted Space's commit title is hostile."""
    return report_of(
        DriftEntry(id="acme/zz-unmanaged", status=DriftStatus.UNMANAGED, stage="RUNNING"),
        DriftEntry(
            id="acme/drifted",
            status=DriftStatus.DRIFTED,
            stage="RUNNING",
            changes=(
                Change(path="spec.hardware", before="cpu-basic", after="t4-small"),
                Change(
                    path="spec.secrets.API_KEY", before="(sensitive)", after="(sensitive)", note="changed outside git"
                ),
            ),
            detail=DriftDetail(
                message="hardware changed",
                files=FileChanges(modified=(FileEntry(path="app.py", size=120),)),
                commits_since_reconciler=(
                    CommitRef(id="c0ffee" * 6 + "ab", author="eve", title=EVIL, date="2026-11-21"),
                ),
                secrets_changed_outside=("API_KEY",),
                hardware_requested="t4-small",
                hardware_current="cpu-basic",
                hand_mounted_volumes=(Volume(type="bucket", source="acme/scratch", mount_path="/scratch"),),
            ),
        ),
        DriftEntry(
            id="acme/failed",
            status=DriftStatus.FAILED,
            stage="RUNTIME_ERROR",
            detail=DriftDetail(message="stage RUNTIME_ERROR"),
        ),
        DriftEntry(id="acme/missing", status=DriftStatus.MISSING, detail=DriftDetail(message="in git, not on the Hub")),
        DriftEntry(id="acme/in-sync", status=DriftStatus.IN_SYNC, stage="RUNNING"),
    )


# ---------------------------------------------------------------- golden cases


@pytest.mark.parametrize("case", case_names())
@pytest.mark.parametrize("output", sorted(RENDERERS))
def test_golden(case: str, output: str) -> None:
    check_golden(CASES / case / output, RENDERERS[output](load_case(case)), inputs=[CASES / case / "report.json"])


def test_the_cases_cover_every_status() -> None:
    seen = {e.status for name in case_names() for e in load_case(name).spaces}
    assert seen == set(DriftStatus)
    assert {"fleet", "in-sync", "escaping"} <= set(case_names())


# ---------------------------------------------------------------- JSON contract


def test_json_keys_are_exactly_the_contract() -> None:
    document = json.loads(drift_to_json(one_of_each()))
    assert list(document) == ["format_version", "created_at", "hub", "spaces", "summary"]
    assert document["format_version"] == 1
    assert list(document["summary"]) == STATUSES
    assert document["summary"] == {"in_sync": 1, "drifted": 1, "missing": 1, "unmanaged": 1, "failed": 1}
    for space in document["spaces"]:
        assert list(space) == ["id", "status", "stage", "changes", "detail"]
        assert space["status"] in STATUSES
        # `message` carries the typed reasons in words, so `reasons` has no key of its own.
        assert list(space["detail"]) == [f for f in DriftDetail.model_fields if f != "reasons"]
        assert list(space["detail"]["files"]) == ["added", "modified", "deleted"]
        for change in space["changes"]:
            assert list(change) in (["path", "before", "after"], ["path", "before", "after", "note"])
    drifted = next(s for s in document["spaces"] if s["id"] == "acme/drifted")
    assert drifted["changes"][0] == {"path": "spec.hardware", "before": "cpu-basic", "after": "t4-small"}
    assert drifted["detail"]["commits_since_reconciler"] == [
        {"id": "c0ffee" * 6 + "ab", "author": "eve", "title": EVIL, "date": "2026-11-21"}
    ]
    assert drifted["detail"]["hand_mounted_volumes"] == [
        {"type": "bucket", "source": "acme/scratch", "mount_path": "/scratch", "revision": None, "read_only": None,
         "path": None}
    ]  # fmt: skip
    assert drifted["detail"]["files"]["modified"] == [{"path": "app.py", "size": 120}]


def test_json_is_sorted_by_id_and_stable() -> None:
    report = one_of_each()
    text = drift_to_json(report)
    ids = [s["id"] for s in json.loads(text)["spaces"]]
    assert ids == sorted(ids)
    reversed_report = report.model_copy(update={"spaces": tuple(reversed(report.spaces))})
    assert drift_to_json(reversed_report) == text


def test_missing_summary_counts_are_counted_from_the_spaces() -> None:
    report = report_of(*one_of_each().spaces, summary=False)
    assert json.loads(drift_to_json(report))["summary"] == dict.fromkeys(STATUSES, 1)
    assert render_drift(report, "markdown", color=False).startswith(
        "# Drift report: 1 drifted, 1 failed, 1 missing, 1 unmanaged, 1 in sync\n"
    )


def test_the_drift_issue_reads_the_json() -> None:
    # The nightly issue is written from this JSON alone: it must find what it needs there.
    document = json.loads(drift_to_json(one_of_each()))
    body = drift_issue.body(document, "manifests", Links())
    assert drift_issue.title(document, "manifests") == (
        "Spaces drift in manifests: 1 failed, 1 missing, 1 drifted, 1 unmanaged"
    )
    assert "t4-small" in body and "RUNTIME" in body and "<script>" not in body


# ---------------------------------------------------------------- every status, every format


def test_text_has_a_summary_and_one_line_per_space() -> None:
    text = render_drift(one_of_each(), "text", color=False)
    lines = text.splitlines()
    assert lines[0].startswith("Drift report: 1 drifted, 1 failed, 1 missing, 1 unmanaged, 1 in sync.")
    table = lines[2:8]
    assert table[0].split() == ["STATUS", "SPACE", "STAGE", "REASON"]
    rows = [line.split()[:3] for line in table[1:]]
    assert rows == [
        ["drifted", "acme/drifted", "RUNNING"],
        ["failed", "acme/failed", "RUNTIME_ERROR"],
        ["in_sync", "acme/in-sync", "RUNNING"],
        ["missing", "acme/missing", "-"],
        ["unmanaged", "acme/zz-unmanaged", "RUNNING"],
    ]
    blocks = text.split("\n\n")[2:]
    assert [b.split()[0] for b in blocks] == ["acme/failed", "acme/missing", "acme/drifted"]
    drifted = blocks[2]
    assert 'spec.hardware: git "cpu-basic", Hub "t4-small"' in drifted
    assert "hardware: requested t4-small, current cpu-basic" in drifted
    assert "/scratch <- bucket acme/scratch" in drifted and "eve: <script>" in drifted
    assert "\x1b[" not in text


def test_text_colour_only_when_asked() -> None:
    assert "\x1b[" in render_drift(one_of_each(), "text", color=True)


def test_in_sync_text_says_so() -> None:
    text = render_drift(report_of(DriftEntry(id="acme/a", status=DriftStatus.IN_SYNC, stage="RUNNING")), "text", False)
    assert text.endswith("No drift. The Hub matches the manifests.\n")


def test_markdown_has_a_title_a_summary_table_and_sections() -> None:
    text = render_drift(one_of_each(), "markdown", color=False)
    assert text.split("\n", 1)[0] == "# Drift report: 1 drifted, 1 failed, 1 missing, 1 unmanaged, 1 in sync"
    assert "| in sync | drifted | missing | unmanaged | failed |\n|--:|--:|--:|--:|--:|\n| 1 | 1 | 1 | 1 | 1 |" in text
    headings = [line for line in text.splitlines() if line.startswith("### ")]
    assert headings == [
        "### `acme/failed` · failed · RUNTIME_ERROR",
        "### `acme/missing` · missing",
        "### `acme/drifted` · drifted · RUNNING",
        "### Unmanaged Spaces",
    ]
    assert "acme/in-sync" not in text
    assert '| ~ | `spec.hardware` | `"cpu-basic"` | `"t4-small"` |' in text
    assert "- Hardware: requested `t4-small`, current `cpu-basic`" in text
    assert "- Volumes mounted by hand: `/scratch <- bucket acme/scratch`" in text
    assert "| ~ | `app.py` | changed on the Hub | 120 B |" in text


def test_html_rows_carry_stable_ids_and_statuses() -> None:
    page = render_drift(one_of_each(), "html", color=False)
    rows = re.findall(r'<tr class="space [^"]*" data-id="([^"]*)" data-status="([^"]*)"', page)
    assert rows == [  # most severe first, then by id
        ("acme/failed", "failed"),
        ("acme/missing", "missing"),
        ("acme/drifted", "drifted"),
        ("acme/zz-unmanaged", "unmanaged"),
        ("acme/in-sync", "in_sync"),
    ]
    # Each Space's detail opens without JavaScript; drifted and failed ones are open from the start.
    assert page.count("<details open>") == 2 and page.count("<details>") == 3
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in page
    assert '<div class="controls" id="controls" hidden>' in page  # the script reveals what needs it


@pytest.mark.parametrize("fmt", ["text", "json", "markdown", "html"])
def test_an_empty_report_renders(fmt: str) -> None:
    text = render_drift(report_of(), fmt, color=False)
    assert "0 drifted" in text or json.loads(text)["spaces"] == []


def test_unknown_format_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown drift report format 'yaml'"):
        render_drift(one_of_each(), "yaml", color=False)


# ---------------------------------------------------------------- secrets and escaping


@pytest.mark.parametrize("fmt", ["text", "json", "markdown", "html"])
def test_secret_values_are_only_ever_sensitive(fmt: str, tmp_path: Path) -> None:
    # Even a report that wrongly carries a value shows "(sensitive)": the views mask again.
    leaky = report_of(
        DriftEntry(
            id="acme/leaky",
            status=DriftStatus.DRIFTED,
            stage="RUNNING",
            changes=(
                Change(path="spec.secrets.TOKEN", before=CANARY, after=CANARY + "-rotated", note="changed outside git"),
                Change(path="spec.secrets.OLD", before=None, after=CANARY, note="added on the Hub, not in git"),
            ),
            detail=DriftDetail(secrets_changed_outside=("TOKEN",)),
        )
    )
    text = render_drift(leaky, fmt, color=False)
    (tmp_path / f"drift.{fmt}").write_text(text, encoding="utf-8")  # the canary check reads it too
    assert CANARY not in text
    assert text.count("(sensitive)") == 3
    if fmt == "json":
        changes = json.loads(text)["spaces"][0]["changes"]
        assert [(c["before"], c["after"]) for c in changes] == [("(sensitive)", "(sensitive)"), (None, "(sensitive)")]


def test_html_escapes_a_hostile_commit_title() -> None:
    page = render_drift(one_of_each(), "html", color=False)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert EVIL not in page
    assert page.count("<script") == 1  # ours, inline


def test_markdown_escapes_a_hostile_commit_title() -> None:
    text = render_drift(one_of_each(), "markdown", color=False)
    assert "&lt;script>alert(1)&lt;/script>" in text
    assert "<script" not in text


def test_escaping_case_leaves_no_live_markup_in_html() -> None:
    page = render_drift(load_case("escaping"), "html", color=False)
    tags = Tags.of(page)
    assert tags.names <= {
        "html", "head", "meta", "title", "style", "body", "header", "h1", "h3", "p", "em", "strong", "section",
        "div", "span", "button", "b", "input", "table", "thead", "tbody", "tr", "th", "td", "code", "details",
        "summary", "ul", "li", "script",
    }  # fmt: skip
    assert not [a for a in tags.attributes if a.startswith("on")]
    assert "&lt;img src=x onerror=alert(2)&gt;" in page


def test_markdown_escaping_case_renders_as_text() -> None:
    text = render_drift(load_case("escaping"), "markdown", color=False)
    rendered = markdown_it.MarkdownIt("commonmark").enable("table").render(text)
    tags = Tags.of(rendered)
    assert tags.names <= {"h1", "h3", "p", "table", "thead", "tbody", "tr", "th", "td", "code", "strong", "em",
                          "ul", "li", "blockquote"}  # fmt: skip
    assert "<a " not in rendered and "<script" not in rendered and "<img" not in rendered


class Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.names: set[str] = set()
        self.attributes: list[str] = []
        self.values: list[tuple[str, str, str]] = []
        self.style = ""
        self.scripts: list[str] = []
        self._in: str | None = None

    @classmethod
    def of(cls, page: str) -> Tags:
        parser = cls()
        parser.feed(page)
        parser.close()
        return parser

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.names.add(tag)
        self.attributes += [name for name, _ in attrs]
        self.values += [(tag, name, value or "") for name, value in attrs]
        self._in = tag if tag in ("style", "script") else None

    def handle_endtag(self, tag: str) -> None:
        self._in = None

    def handle_data(self, data: str) -> None:
        if self._in == "style":
            self.style += data
        elif self._in == "script":
            self.scripts.append(data)


# ---------------------------------------------------------------- self-contained HTML


@pytest.mark.parametrize("case", case_names())
def test_html_loads_nothing_from_anywhere(case: str) -> None:
    page = render_drift(load_case(case), "html", color=False)
    tags = Tags.of(page)
    assert not re.search(r"""(?:src|href)\s*=\s*["']?\s*(?:https?:)?//""", page, re.IGNORECASE)
    assert "@import" not in page and "url(" not in tags.style
    assert not {"link", "img", "iframe", "object", "embed", "audio", "video", "source", "base", "form"} & tags.names
    assert not [v for _, name, v in tags.values if name in ("src", "href", "action", "srcset", "poster")]
    urls = [(tag, name, v) for tag, name, v in tags.values if re.search(r"https?:|//", v)]
    assert urls == []
    policy = next(v for _, name, v in tags.values if name == "content" and "default-src" in v)
    assert policy.startswith("default-src 'none';")


def test_csp_allows_exactly_the_inline_style_and_script() -> None:
    page = render_drift(load_case("fleet"), "html", color=False)
    tags = Tags.of(page)
    policy = next(v for _, name, v in tags.values if name == "content" and "default-src" in v)

    def source(text: str) -> str:
        return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"

    (script,) = tags.scripts
    assert f"style-src {source(tags.style)};" in policy
    assert f"script-src {source(script)};" in policy


# ---------------------------------------------------------------- GitHub's size limit


def big_fleet(count: int) -> DriftReport:
    files = FileChanges(modified=tuple(FileEntry(path=f"src/module_{n:03d}.py", size=100 * n) for n in range(80)))
    entries = [
        DriftEntry(
            id=f"acme/space-{i:05d}",
            status=DriftStatus.FAILED if i % 10 == 0 else DriftStatus.DRIFTED,
            stage="BUILD_ERROR" if i % 10 == 0 else "RUNNING",
            changes=(Change(path="spec.hardware", before="cpu-basic", after="t4-small"),),
            detail=DriftDetail(message="files changed on the Hub", files=files),
        )
        for i in range(count)
    ]
    entries.append(DriftEntry(id="acme/unmanaged", status=DriftStatus.UNMANAGED, stage="RUNNING"))
    return report_of(*entries)


def test_markdown_stays_under_githubs_limit() -> None:
    text = render_drift(big_fleet(400), "markdown", color=False)
    assert len(text) <= GITHUB_COMMENT_LIMIT
    assert text.startswith("# Drift report: 360 drifted, 40 failed, 0 missing, 1 unmanaged, 0 in sync\n")
    assert "to fit GitHub's limit; see the full report" in text
    assert "_… 30 more files; see the full report._" in text  # a long file list is capped per Space
    first = text.index("### `acme/space-00000` · failed")  # the most severe stay whole
    assert first < text.index("(details cut)")


def test_markdown_leaves_out_what_does_not_fit_even_in_one_line() -> None:
    text = render_drift(big_fleet(3000), "markdown", color=False)
    assert len(text) <= GITHUB_COMMENT_LIMIT
    assert "more sections left out to fit GitHub's limit" in text
    assert "acme/space-00000" in text


@pytest.mark.parametrize("limit", [4000, 12000, 30000])
def test_markdown_fits_any_reasonable_limit(limit: int) -> None:
    text = render_drift_markdown(big_fleet(60), max_chars=limit)
    assert len(text) <= limit
    assert text.count("<details>") == 0 and text.startswith("# Drift report: ")
