"""A stale reviewed plan in words: which Space, and what moved since the plan was made."""

from __future__ import annotations

from reconciler.render.words import names
from reconciler.stale import Stale, StaleCause

SINCE = "since the plan was made"


def stale_text(stale: Stale) -> str:
    subjects = names(stale.subjects)
    what = {
        StaleCause.GONE: "no longer planned (manifest removed or selection changed)",
        StaleCause.SHA: f"its sha changed on the Hub {SINCE} (a commit made elsewhere)",
        StaleCause.SETTINGS: f"its settings changed on the Hub {SINCE}",
        StaleCause.FIELDS: f"the manifests changed {subjects} {SINCE}",
        StaleCause.SECRET_VALUES: f"the value of secret{'s' if len(stale.subjects) > 1 else ''} {subjects} "
        f"changed {SINCE}",
        StaleCause.FILES: f"the files {subjects} changed {SINCE}",
    }.get(stale.cause)
    if what is None:
        # Same differences, another rung: the Space's runtime moved on (e.g. it finished building).
        reviewed, fresh = stale.rungs or (None, None)
        shown = f" (rung {reviewed.value} -> {fresh.value})" if reviewed and fresh else ""
        what = f"its runtime changed on the Hub {SINCE}{shown}"
    return f"{stale.space_id}: {what}"


def stale_plan_text(found: list[Stale]) -> str:
    return (
        "the plan is stale; nothing was written:\n  "
        + "\n  ".join(map(stale_text, found))
        + ("\nRun plan again and review it.")
    )
