"""What every drift report view reads the same way: counts, title, ordering, wording.

Everything here only reads the DriftReport; nothing recomputes a difference.
`detail.files` keeps the plan's orientation (`added`: in git, not on the Hub; `deleted`: on the
Hub, not in git); file_groups() says so in words.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from reconciler.drift import CommitRef, DriftDetail, DriftEntry, DriftReport, DriftStatus
from reconciler.model import FileEntry, Volume
from reconciler.render._common import change_kind, format_size, masked, plural
from reconciler.render.words import orphans_text, reasons_text

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
TEMPLATES = Path(__file__).parent / "templates"


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


def detail_message(detail: DriftDetail) -> str:
    """The detail's own message, then the plan's reasons, then missing endpoints, in words."""
    endpoints = [f"declared endpoints missing from the API: {', '.join(detail.endpoints_missing)}"]
    return "; ".join(
        [
            *([detail.message] if detail.message else []),
            *reasons_text(detail.reasons, detail.files),
            *(endpoints if detail.endpoints_missing else []),
        ]
    )


def endpoints_text(detail: DriftDetail) -> str:
    """spec.verify.endpoints the running app no longer has, and what it has instead."""
    has = ", ".join(detail.endpoints_available) or "no named endpoint"
    return f"missing from the Space's API: {', '.join(detail.endpoints_missing)} (it has: {has})"


def stage_text(entry: DriftEntry) -> str:
    return entry.stage.value if entry.stage is not None else ""


def reason(entry: DriftEntry) -> str:
    if message := detail_message(entry.detail):
        return message
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
        or detail.variables_deleted_outside
        or detail.secrets_changed_outside
        or detail.hardware_requested
        or detail.hardware_current
        or detail.hand_mounted_volumes
        or detail.endpoints_missing
    )


# What to do about drift, said by the report and by the nightly issue (reconciler.ci.drift_issue).
BACK_TO_GIT = "Run `reconcile apply` to bring the Hub back to git, or change the manifests to accept what the Hub has."
HAND_MOUNTED = (
    "Volumes mounted by hand are kept by apply (it never unmounts what it did not mount): "
    "declare them in the manifest, or unmount them on the Hub."
)


def template_globals() -> dict[str, Any]:
    return {
        "back_to_git": BACK_TO_GIT,
        "hand_mounted_note": HAND_MOUNTED,
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
        "orphans_text": orphans_text,
        "endpoints_text": endpoints_text,
    }
