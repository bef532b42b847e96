"""Golden plans: for each folder in tests/plan_cases/, apply `seed/` to a fresh local Hub,
then plan `desired/` and compare plan.txt / plan.json / plan.md with the expected files.

UPDATE_GOLDEN=1 rewrites the expected files (tests/golden.py). Values that differ between runs (endpoint,
timestamps, commit shas, settings digests) are replaced by placeholders before comparing.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from reconciler.localhub import LocalHub
from tests.e2e.conftest import run_cli
from tests.golden import check_golden

CASES = Path(__file__).resolve().parents[1] / "plan_cases"


def normalize(text: str, hub: LocalHub) -> str:
    text = text.replace(hub.endpoint, "<hub>")
    text = re.sub(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", "<time>", text)
    text = re.sub(r"\b[0-9a-f]{64}\b", "<digest>", text)
    return re.sub(r'"sha": "[0-9a-f]{40}"', '"sha": "<sha>"', text)


@pytest.mark.parametrize("case", sorted(p.name for p in CASES.iterdir() if p.is_dir()))
def test_plan_case(case: str, hub: LocalHub, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = CASES / case
    work = tmp_path / "work"
    (work / ".git").mkdir(parents=True)
    monkeypatch.chdir(work)
    if (folder / "seed").is_dir():
        shutil.copytree(folder / "seed" / "manifests", work / "manifests")
        seeded = run_cli("apply", "--auto-approve", "--timeout", "60s")
        assert seeded.code == 0, seeded.output
        shutil.rmtree(work / "manifests")
    shutil.copytree(folder / "desired" / "manifests", work / "manifests")
    outputs = {
        "plan.json": run_cli("plan", "--format", "json"),
        "plan.txt": run_cli("plan", "--format", "text"),
        "plan.md": run_cli("plan", "--format", "markdown"),
    }
    for name, result in outputs.items():
        assert result.code == 0, result.output
        check_golden(folder / name, normalize(result.stdout, hub))
