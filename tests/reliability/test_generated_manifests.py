"""R4: generated manifests through the CLI's error boundary (`reconcile validate` and `plan`).

Valid documents, mutated ones (keys dropped, replaced, added), SpaceSets with generated
templates, and text corrupted at random points: never a traceback or an internal error
(exit 3), and every error line starts with FILE:LINE:COL."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.e2e.conftest import run_cli
from tests.mutations import mutate, yaml_values

ERROR_LINE = re.compile(r"^(?P<file>manifests/[^:\s]+\.ya?ml):(?P<line>\d+):(?P<col>\d+): (error|warning): ")

SPACE: dict[str, Any] = {
    "apiVersion": "spaces-reconciler/v1",
    "kind": "Space",
    "metadata": {"namespace": "local-org", "name": "demo", "labels": {"team": "a"}},
    "spec": {
        "sdk": "gradio",
        "sdkVersion": "6.15.1",
        "hardware": "cpu-basic",
        "sleepTime": 3600,
        "visibility": "public",
        "variables": {"MODE": "x"},
        "secrets": {"TOKEN": {"fromEnv": "CANARY_SECRET"}},
        "volumes": [{"type": "bucket", "source": "local-org/data", "mountPath": "/data"}],
        "source": {"path": "../app", "exclude": ["*.md"]},
        "card": {"title": "Demo", "colorFrom": "blue", "colorTo": "indigo", "shortDescription": "demo"},
        "lifecycle": {"preventDestroy": False, "ignoreChanges": ["spec.hardware"]},
    },
}
TEMPLATE_PARTS = ["{{ r }}", "{{ r | upper }}", "{{", "}}", "{% if r %}", "{% endif %}", "{{ nope }}", "-", "x", ":"]

scalars, values = yaml_values(
    ["gradio", "docker", "/data", "{{ r }}", "local-org/x", "-1", "3.10"], allow_nan=True, max_leaves=16
)


@st.composite
def spaceset(draw: st.DrawFn) -> dict[str, Any]:
    name = "d-" + "".join(draw(st.lists(st.sampled_from(TEMPLATE_PARTS), min_size=1, max_size=4)))
    template = {"metadata": {"namespace": "local-org", "name": name}, "spec": dict(SPACE["spec"])}
    return {
        "apiVersion": "spaces-reconciler/v1",
        "kind": "SpaceSet",
        "metadata": {"name": "fleet"},
        "spec": {
            "generators": [{"list": draw(st.lists(st.fixed_dictionaries({"r": scalars}), max_size=3))}],
            "template": yaml.safe_dump(template, sort_keys=False),
        },
    }


@st.composite
def document(draw: st.DrawFn) -> Any:
    return mutate(draw, draw(st.one_of(st.just(SPACE), spaceset())), values, draw(st.integers(0, 3)))


@st.composite
def manifest_text(draw: st.DrawFn) -> str:
    text = yaml.safe_dump_all(draw(st.lists(document(), min_size=1, max_size=3)), allow_unicode=True, sort_keys=False)
    if draw(st.booleans()):
        at = draw(st.integers(0, len(text)))
        junk = draw(st.sampled_from(["", "\t", ":", "- ", "{", "]", "&a", "*a", "!!python/object:os.system", "\n  x"]))
        cut = draw(st.integers(0, 5))
        text = text[:at] + junk + text[at + cut :]
    return text


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    (root / ".git").mkdir(parents=True)
    (root / "app").mkdir()
    (root / "app" / "app.py").write_text("import gradio as gr\n")
    (root / "manifests").mkdir()
    return root


def _check(repo: Path, text: str, command: str) -> None:
    (repo / "manifests" / "m.yaml").write_text(text, encoding="utf-8")
    cwd = os.getcwd()
    os.chdir(repo)
    try:
        result = run_cli(command, "manifests")
    finally:
        os.chdir(cwd)
    assert result.code in (0, 1), f"exit {result.code}:\n{result.output}\n--- manifest:\n{text}"
    assert "Traceback" not in result.output and "this is a bug" not in result.output, result.output
    for line in result.output.splitlines():
        if ": error: " in line or (line.startswith("error: ") and "nothing was read" not in line):
            assert ERROR_LINE.match(line), f"an error without FILE:LINE:COL: {line!r}\n--- manifest:\n{text}"


@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
@given(text=manifest_text())
def test_generated_manifests_never_crash_validate(repo: Path, text: str) -> None:
    _check(repo, text, "validate")


@pytest.mark.slow
@pytest.mark.timeout(3600)
@settings(max_examples=10_000, deadline=None, suppress_health_check=list(HealthCheck))
@given(text=manifest_text())
def test_ten_thousand_generated_manifests_never_crash_validate(repo: Path, text: str) -> None:
    _check(repo, text, "validate")
