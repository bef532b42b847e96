"""Read-only views over the Plan: JSON, terminal text, pull-request markdown.

Renderers only read the plan: they never call the Hub and never recompute a difference.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from reconciler.render.plan_json import plan_to_json
from reconciler.render.plan_markdown import GITHUB_COMMENT_LIMIT, render_plan_markdown
from reconciler.render.plan_text import render_plan_text

__all__ = [
    "GITHUB_COMMENT_LIMIT",
    "color_enabled",
    "plan_to_json",
    "render_plan_markdown",
    "render_plan_text",
]


def color_enabled(is_tty: bool, environ: Mapping[str, str] | None = None) -> bool:
    """Colour for a terminal: a TTY, NO_COLOR unset or empty (no-color.org), and not in CI."""
    env = os.environ if environ is None else environ
    in_ci = env.get("CI", "").strip().lower() not in ("", "0", "false", "no")
    return is_tty and not env.get("NO_COLOR") and not in_ci
