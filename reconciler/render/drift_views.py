"""Views of a drift report: terminal text, JSON (DESIGN.md "Fleet drift report"), markdown for a
GitHub issue body, and one self-contained HTML page.

Renderers only read the DriftReport: they never call the Hub and never recompute a difference.
In a drift report a change's `before` is what git says and `after` is what the Hub has now.
`detail.files` keeps the plan's orientation: `added` is in git but not on the Hub, `deleted`
is on the Hub but not in git; the human views say so in words.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

import click
import jinja2
from markupsafe import Markup

from reconciler.drift import CommitRef, DriftDetail, DriftEntry, DriftReport, DriftStatus
from reconciler.model import Change, FileEntry, Volume
from reconciler.render._common import change_kind, format_size, format_value, masked, plural, visible
from reconciler.render.plan_json import _change as plan_change
from reconciler.render.plan_json import _files as plan_files
from reconciler.render.plan_markdown import GITHUB_COMMENT_LIMIT, html_text, md_code, md_text, md_value

FORMATS = ("text", "json", "markdown", "html")
# Most severe first: the order of sections in markdown and of details in text.
SEVERITY: tuple[DriftStatus, ...] = (
    DriftStatus.FAILED,
    DriftStatus.MISSING,
    DriftStatus.DRIFTED,
    DriftStatus.UNMANAGED,
    DriftStatus.IN_SYNC,
)
# The statuses that get a section with details (unmanaged Spaces are listed, in-sync ones counted).
DETAILED = (DriftStatus.FAILED, DriftStatus.MISSING, DriftStatus.DRIFTED)
# The order of counts in titles: what needs attention first.
TITLE_ORDER = (DriftStatus.DRIFTED, DriftStatus.FAILED, DriftStatus.MISSING, DriftStatus.UNMANAGED, DriftStatus.IN_SYNC)
LABELS = {s: s.value.replace("_", " ") for s in DriftStatus}
# Per Space, markdown lists at most this many files or commits (the JSON and HTML have them all).
MAX_MARKDOWN_ROWS = 50
_TEMPLATES = Path(__file__).parent / "templates"
_TEXT_COLOR = {
    DriftStatus.IN_SYNC: "green",
    DriftStatus.DRIFTED: "yellow",
    DriftStatus.MISSING: "magenta",
    DriftStatus.UNMANAGED: "cyan",
    DriftStatus.FAILED: "red",
}


def render_drift(report: DriftReport, fmt: str, color: bool) -> str:
    """The report in `fmt` (text | json | markdown | html). ANSI colour only for text with color=True."""
    if fmt == "text":
        return render_drift_text(report, color)
    if fmt == "json":
        return drift_to_json(report)
    if fmt == "markdown":
        return render_drift_markdown(report)
    if fmt == "html":
        return render_drift_html(report)
    raise ValueError(f"unknown drift report format {fmt!r}; expected one of {', '.join(FORMATS)}")


# ---------------------------------------------------------------- shared reading of the report


def drift_counts(report: DriftReport) -> dict[str, int]:
    """Spaces per status, every status present, in the contract's order (in_sync first).

    The report's own summary is authoritative; a status it lacks is counted from the entries.
    """
    return {
        s.value: int(report.summary[s.value])
        if s.value in report.summary
        else sum(1 for e in report.spaces if e.status is s)
        for s in DriftStatus
    }


def title(report: DriftReport) -> str:
    counts = drift_counts(report)
    return "Drift report: " + ", ".join(f"{counts[s.value]} {LABELS[s]}" for s in TITLE_ORDER)


def by_id(report: DriftReport) -> list[DriftEntry]:
    return sorted(report.spaces, key=lambda e: e.id)


def by_severity(report: DriftReport, statuses: tuple[DriftStatus, ...] = DETAILED) -> list[DriftEntry]:
    return sorted((e for e in report.spaces if e.status in statuses), key=lambda e: (SEVERITY.index(e.status), e.id))


def reason(entry: DriftEntry) -> str:
    if entry.detail.message:
        return entry.detail.message
    if entry.status is DriftStatus.DRIFTED and entry.changes:
        return "changed: " + ", ".join(c.path for c in entry.changes)
    return {DriftStatus.IN_SYNC: "matches git", DriftStatus.MISSING: "in git, not on the Hub"}.get(entry.status, "")


def file_groups(detail: DriftDetail) -> list[tuple[str, str, tuple[FileEntry, ...]]]:
    """(symbol, words, files) per kind of file difference, in drift wording; empty groups left out."""
    groups = (
        ("~", "changed on the Hub", detail.files.modified),
        ("+", "on the Hub, not in git", detail.files.deleted),
        ("-", "in git, not on the Hub", detail.files.added),
    )
    return [group for group in groups if group[2]]


def file_rows(detail: DriftDetail) -> list[tuple[str, str, FileEntry]]:
    return [(symbol, words, f) for symbol, words, files in file_groups(detail) for f in files]


def volume_text(volume: Volume) -> str:
    source = f"{volume.type} {volume.source}" + (f"@{volume.revision}" if volume.revision else "")
    return f"{volume.mount_path} <- {source}" + (" (read-only)" if volume.read_only else "")


def commit_text(commit: CommitRef) -> str:
    return f"{commit.id[:8]} {commit.date} {commit.author}: {commit.title}"


def change_count(entry: DriftEntry) -> int:
    """Fields and files that differ: what the HTML table's "Changes" column counts."""
    return len(entry.changes) + len(entry.detail.files.paths())


def has_attribution(detail: DriftDetail) -> bool:
    return bool(
        detail.commits_since_reconciler
        or detail.variables_updated_outside
        or detail.secrets_changed_outside
        or detail.hardware_requested
        or detail.hardware_current
        or detail.hand_mounted_volumes
    )


# ---------------------------------------------------------------- JSON


def drift_to_json(report: DriftReport) -> str:
    """The contract: format_version, spaces (sorted by id), summary; keys in a fixed order."""
    document = {
        "format_version": report.format_version,
        "spaces": [_entry_json(entry) for entry in by_id(report)],
        "summary": drift_counts(report),
    }
    return json.dumps(document, indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def _entry_json(entry: DriftEntry) -> dict[str, Any]:
    detail = entry.detail
    return {
        "id": entry.id,
        "status": entry.status.value,
        "stage": entry.stage,
        "changes": [plan_change(change) for change in entry.changes],  # the plan's shape, secrets masked
        "detail": {
            "message": detail.message,
            "files": plan_files(detail.files),
            "commits_since_reconciler": [
                {"id": c.id, "author": c.author, "title": c.title, "date": c.date}
                for c in detail.commits_since_reconciler
            ],
            "variables_updated_outside": list(detail.variables_updated_outside),
            "secrets_changed_outside": list(detail.secrets_changed_outside),
            "hardware_requested": detail.hardware_requested,
            "hardware_current": detail.hardware_current,
            "hand_mounted_volumes": [
                {
                    "type": v.type,
                    "source": v.source,
                    "mount_path": v.mount_path,
                    "revision": v.revision,
                    "read_only": v.read_only,
                    "path": v.path,
                }
                for v in detail.hand_mounted_volumes
            ],
            "managed_marker": detail.managed_marker,
            "manifest": detail.manifest,
        },
    }


# ---------------------------------------------------------------- text


def render_drift_text(report: DriftReport, color: bool) -> str:
    def paint(text: str, status: DriftStatus | None = None, bold: bool = False) -> str:
        if not color:
            return text
        return click.style(text, fg=_TEXT_COLOR[status] if status else None, bold=bold)

    counts = drift_counts(report)
    head = paint(f"{title(report)}.", bold=True) + f" Checked {visible(report.created_at)} on {visible(report.hub)}."
    rows = [(e.status, visible(e.id), visible(e.stage or "-"), visible(reason(e))) for e in by_id(report)]
    widths = [max([len("STATUS"), *(len(r[0].value) for r in rows)]), *(max(len(r[i]) for r in rows) for i in (1, 2))]
    lines = [head, ""] if rows else [head]
    if rows:
        lines.append(f"{'STATUS'.ljust(widths[0])}  {'SPACE'.ljust(widths[1])}  {'STAGE'.ljust(widths[2])}  REASON")
    for status, space, stage, why in rows:
        cells = f"{paint(status.value.ljust(widths[0]), status)}  {space.ljust(widths[1])}  {stage.ljust(widths[2])}"
        lines.append(f"{cells}  {why}".rstrip())
    for entry in by_severity(report):
        lines += ["", *_text_details(entry, paint)]
    if not report.has_drift and counts["in_sync"]:
        lines += ["", paint("No drift. The Hub matches the manifests.", bold=True)]
    return "\n".join(lines) + "\n"


def _text_details(entry: DriftEntry, paint: Callable[..., str]) -> list[str]:
    detail = entry.detail
    stage = f", {visible(entry.stage)}" if entry.stage else ""
    lines = [f"{paint(visible(entry.id), bold=True)} ({paint(entry.status.value, entry.status)}{stage})"]
    if detail.message:
        lines.append(f"    # {visible(detail.message)}")
    for change in entry.changes:
        lines.append(f"    {_text_change(change)}")
    for symbol, words, files in file_groups(detail):
        lines.append(f"    files {words}:")
        lines += [f"      {symbol} {visible(f.path)}  ({format_size(f.size)})" for f in files]
    if detail.commits_since_reconciler:
        lines.append("    commits since the reconciler's last commit:")
        lines += [f"      {visible(commit_text(c))}" for c in detail.commits_since_reconciler]
    if detail.variables_updated_outside:
        lines.append(f"    variables changed outside git: {visible(', '.join(detail.variables_updated_outside))}")
    if detail.secrets_changed_outside:
        lines.append(f"    secrets changed outside git: {visible(', '.join(detail.secrets_changed_outside))}")
    if detail.hardware_requested or detail.hardware_current:
        lines.append(
            f"    hardware: requested {visible(detail.hardware_requested or '-')}, "
            f"current {visible(detail.hardware_current or '-')}"
        )
    if detail.hand_mounted_volumes:
        lines.append("    volumes mounted by hand:")
        lines += [f"      {visible(volume_text(v))}" for v in detail.hand_mounted_volumes]
    if detail.manifest:
        lines.append(f"    manifest: {visible(detail.manifest)}")
    return lines


def _text_change(change: Change) -> str:
    change = masked(change)
    git = "absent" if change.before is None else format_value(change.before)
    hub = "absent" if change.after is None else format_value(change.after)
    note = f"  # {visible(change.note)}" if change.note else ""
    return f"{change_kind(change)} {visible(change.path)}: git {git}, Hub {hub}{note}"


# ---------------------------------------------------------------- markdown


def render_drift_markdown(report: DriftReport, max_chars: int = GITHUB_COMMENT_LIMIT) -> str:
    """A GitHub issue body of at most `max_chars` characters; its first line, minus "# ", is a title.

    When everything does not fit, sections are cut to one line each, the most severe kept whole
    first; if even the one-line forms do not fit, the last ones are left out. The body says so.
    """
    sections = [(_macro("section", e), _macro("collapsed", e)) for e in by_severity(report)]
    unmanaged = by_severity(report, (DriftStatus.UNMANAGED,))
    if unmanaged:
        sections.append((_macro("unmanaged", unmanaged), _macro("unmanaged_collapsed", unmanaged)))

    def document(texts: list[str], note: str | None) -> str:
        return _macro("document", report, title(report), drift_counts(report), texts, note).rstrip("\n") + "\n"

    full = document([text for text, _ in sections], None)
    if len(full) <= max_chars:
        return full
    reserve = _fit_note(len(sections), len(sections))
    overhead = len(document([], reserve))
    separator = len(document(["x"], reserve)) - overhead - 1
    budget = max_chars - overhead
    used = sum(len(short) + separator for _, short in sections)
    chosen: list[str] = []
    if used <= budget:  # every section fits in one line: give the rest back, most severe first
        for text, short in sections:
            grown = used + len(text) - len(short)
            chosen.append(text if grown <= budget else short)
            used = grown if grown <= budget else used
        cut = sum(1 for text, (full_text, _) in zip(chosen, sections, strict=True) if text != full_text)
        result = document(_compact(chosen, {short for _, short in sections}), _fit_note(cut, 0))
    else:
        used = 0
        for _, short in sections:
            used += len(short) + separator
            if used > budget:
                break
            chosen.append(short)
        result = document(_compact(chosen, set(chosen)), _fit_note(len(chosen), len(sections) - len(chosen)))
    return result if len(result) <= max_chars else result[: max_chars - 1] + "…"


def _compact(texts: list[str], one_liners: set[str]) -> list[str]:
    """Consecutive one-line sections as one tight list (the budget counted them apart: only shorter)."""
    blocks: list[str] = []
    for i, text in enumerate(texts):
        if blocks and text in one_liners and texts[i - 1] in one_liners:
            blocks[-1] += "\n" + text
        else:
            blocks.append(text)
    return blocks


def _fit_note(cut: int, left_out: int) -> str:
    what = f"{plural(cut, 'section')} cut to one line"
    if left_out:
        what += f" and {plural(left_out, 'more section')} left out"
    return f"{what} to fit GitHub's limit; see the full report (`--format json` or `--format html`)."


@cache
def _markdown_template() -> jinja2.Template:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(_TEMPLATES),
        autoescape=False,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
    )
    env.filters.update(md=md_text, code=md_code, html=html_text, value=md_value, volume=volume_text)
    env.globals.update(_globals(), max_rows=MAX_MARKDOWN_ROWS)
    return env.get_template("drift.md.j2")


def _macro(name: str, *args: Any) -> str:
    return str(getattr(_markdown_template().module, name)(*args))


def _globals() -> dict[str, Any]:
    return {
        "labels": LABELS,
        "reason": reason,
        "file_groups": file_groups,
        "file_rows": file_rows,
        "volume_text": volume_text,
        "has_attribution": has_attribution,
        "masked": masked,
        "kind": change_kind,
        "size": format_size,
        "plural": plural,
        "statuses": [s for s in DriftStatus],
        "severity": SEVERITY,
    }


# ---------------------------------------------------------------- HTML


def render_drift_html(report: DriftReport) -> str:
    """One self-contained page: inline CSS and script, allowed by hash in a CSP that forbids the rest."""
    return _html_template().render(
        report=report,
        title=title(report),
        counts=drift_counts(report),
        entries=by_id(report),
    )


@cache
def _html_template() -> jinja2.Template:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(_TEMPLATES),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
    )
    env.filters.update(text=lambda value: visible(str(value)), value=_html_value, csp_hash=_csp_hash)
    env.globals.update(_globals(), rank={s.value: SEVERITY.index(s) for s in DriftStatus}, count=change_count)
    return env.get_template("drift.html.j2")


def _html_value(value: Any) -> str:
    return "" if value is None else format_value(value)


def _csp_hash(content: object) -> Markup:
    """A CSP source for exactly this inline block; base64 and quotes only, so safe to emit raw."""
    digest = hashlib.sha256(str(content).encode("utf-8")).digest()
    return Markup("'sha256-" + base64.b64encode(digest).decode("ascii") + "'")
