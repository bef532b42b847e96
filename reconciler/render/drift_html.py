"""A drift report as one self-contained HTML page (inline CSS and script, no network).

The template (autoescape on) holds the layout; this module only feeds it and hashes the inline
blocks for the page's Content-Security-Policy.
"""

from __future__ import annotations

import base64
import hashlib
from functools import cache
from typing import Any

import jinja2
from markupsafe import Markup

from reconciler.drift import DriftReport, DriftStatus
from reconciler.render._common import format_value, visible
from reconciler.render._drift_common import (
    SEVERITY,
    TEMPLATES,
    by_severity,
    change_count,
    drift_counts,
    template_globals,
    title,
)

# What needs a person's attention opens at once; the rest stays one line until clicked.
EXPANDED = frozenset({DriftStatus.DRIFTED, DriftStatus.FAILED})


def render_drift_html(report: DriftReport) -> str:
    """One self-contained page: inline CSS and script, allowed by hash in a CSP that forbids the rest.

    Spaces are listed most severe first (SEVERITY), then by id, like the text report's details;
    drifted and failed ones open expanded.
    """
    return _html_template().render(
        report=report,
        title=title(report),
        counts=drift_counts(report),
        entries=by_severity(report, SEVERITY),
    )


@cache
def _html_template() -> jinja2.Template:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
    )
    env.filters.update(text=lambda value: visible(str(value)), value=_html_value, csp_hash=_csp_hash)
    env.globals.update(
        template_globals(),
        rank={s.value: SEVERITY.index(s) for s in DriftStatus},
        count=change_count,
        expanded=EXPANDED,
    )
    return env.get_template("drift.html.j2")


def _html_value(value: Any) -> str:
    return "" if value is None else format_value(value)


def _csp_hash(content: object) -> Markup:
    """A CSP source for exactly this inline block; base64 and quotes only, so safe to emit raw."""
    digest = hashlib.sha256(str(content).encode("utf-8")).digest()
    return Markup("'sha256-" + base64.b64encode(digest).decode("ascii") + "'")
