"""The workflow-command files: step outputs ($GITHUB_OUTPUT), the job summary
($GITHUB_STEP_SUMMARY), and annotations on stdout. Outside Actions they are no-ops or plain lines.
Each masks secret values (reconciler.ci.redact) before it writes."""

from __future__ import annotations

import secrets
import sys
from collections.abc import Mapping
from pathlib import Path

from reconciler.ci import redact


def set_outputs(output_file: Path | None, values: Mapping[str, str]) -> None:
    if output_file is None:
        return
    with output_file.open("a", encoding="utf-8") as handle:
        for name, value in values.items():
            # The heredoc form, with a delimiter no value can contain, keeps multi-line values intact.
            delimiter = f"ghadelimiter_{secrets.token_hex(8)}"
            handle.write(f"{name}<<{delimiter}\n{redact.text(value)}\n{delimiter}\n")


def add_summary(summary_file: Path | None, markdown: str) -> None:
    if summary_file is None:
        return
    with summary_file.open("a", encoding="utf-8") as handle:
        handle.write(redact.text(markdown.rstrip("\n")) + "\n\n")


def _escape(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def annotate(level: str, message: str) -> None:
    """An `::error::` / `::warning::` / `::notice::` line: shown on the run page and the PR."""
    print(f"::{level}::{_escape(redact.text(message))}", file=sys.stdout, flush=True)
