"""`apply --plan`: refuse a reviewed plan that no longer describes the Hub or the manifests."""

from __future__ import annotations

from reconciler.model import Plan


def stale_entries(reviewed: Plan, fresh: Plan) -> list[str]:
    """Why each reviewed entry is stale, compared with a plan made just now; empty when none is."""
    now = {entry.id: entry for entry in fresh.spaces}
    problems = []
    for entry in reviewed.spaces:
        current = now.get(entry.id)
        if current is None:
            problems.append(f"{entry.id}: no longer planned (manifest removed or selection changed)")
        elif current.observed != entry.observed:
            what = "sha" if current.observed.sha != entry.observed.sha else "settings"
            problems.append(f"{entry.id}: its {what} changed on the Hub since the plan was made")
        elif (current.changes, current.files) != (entry.changes, entry.files):
            problems.append(f"{entry.id}: the manifests or files changed since the plan was made")
        elif current.rung != entry.rung:
            # Same differences, another rung: the Space's runtime moved on (e.g. it finished building).
            problems.append(
                f"{entry.id}: its runtime changed on the Hub since the plan was made "
                f"(rung {entry.rung.value} -> {current.rung.value})"
            )
    return problems
