"""The README's lint rules table lists exactly the rules the linter has, with their severity."""

from __future__ import annotations

import re
from pathlib import Path

from reconciler.manifests.lint import RULES

README = Path(__file__).resolve().parents[2] / "README.md"
ROW = re.compile(r"^\| `(?P<id>[a-z0-9-]+)` \| (?P<severity>error|warning) \| (?P<finds>.+) \|$")


def _table_rows() -> dict[str, tuple[str, str]]:
    text = README.read_text(encoding="utf-8")
    section = text.split("\n### Lint rules\n", 1)[1].split("\n### ", 1)[0]
    rows: dict[str, tuple[str, str]] = {}
    for line in section.splitlines():
        match = ROW.match(line)
        if match:
            assert match["id"] not in rows, f"rule {match['id']} listed twice"
            rows[match["id"]] = (match["severity"], match["finds"])
    return rows


def test_readme_lists_every_lint_rule_with_its_severity() -> None:
    rows = _table_rows()
    registry = {rule.id: rule.severity.value for rule in RULES.values()}
    assert sorted(rows) == sorted(registry), "README's lint table and reconciler.manifests.lint.RULES differ"
    for rule_id, (severity, _) in rows.items():
        assert severity == registry[rule_id], f"{rule_id}: README says {severity}, the linter {registry[rule_id]}"
