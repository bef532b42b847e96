"""`reconcile validate` with Policy documents: located errors, blocking rules, exemptions."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

RECONCILE = str(Path(sys.executable).parent / "reconcile")

SPACE = """apiVersion: spaces-reconciler/v1
kind: Space
metadata: {{name: gpu-demo, namespace: acme{labels}}}
spec:
  sdk: gradio
  hardware: t4-small
  source: {{path: app}}
"""
POLICY = """apiVersion: spaces-reconciler/v1
kind: Policy
metadata: {name: gpu-needs-sleep}
spec:
  match: {namespaces: [acme]}
  rules:
    - name: sleep-on-gpu
      expression: "!space.spec.hardware.startsWith('cpu') ? space.spec.sleepTime > 0 : true"
      message: "GPU Spaces must set sleepTime"
"""


def fleet(tmp_path: Path, labels: str = "", policy: str = POLICY) -> Path:
    (tmp_path / ".git").mkdir()
    app = tmp_path / "manifests" / "app"
    app.mkdir(parents=True)
    (app / "app.py").write_text("import gradio as gr\n")
    (tmp_path / "manifests" / "demo.yaml").write_text(SPACE.format(labels=labels))
    (tmp_path / "manifests" / "policies.yaml").write_text(policy)
    return tmp_path


def validate(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([RECONCILE, "validate", *args], cwd=folder, capture_output=True, text=True, timeout=60)


def test_an_error_rule_over_the_desired_space_fails_validate(tmp_path: Path) -> None:
    done = validate(fleet(tmp_path))
    assert done.returncode == 1, done.stdout + done.stderr
    assert (
        "manifests/demo.yaml:1:1: error: acme/gpu-demo: policy gpu-needs-sleep/sleep-on-gpu (error): "
        "GPU Spaces must set sleepTime" in done.stdout
    )
    assert "rule at manifests/policies.yaml:8:19" in done.stdout
    assert done.stdout.rstrip().endswith("Policy: 1 violation(s) blocking apply, 0 warning(s), 0 exemption(s) used")
    # The counts add up to the lines above: the blocking finding is one of the errors.
    (counts,) = [line for line in done.stdout.splitlines() if line.startswith("invalid: ")]
    assert ", 1 error(s)," in counts, done.stdout


def test_an_exemption_is_honoured_and_reported_then_expires(tmp_path: Path) -> None:
    honoured = validate(fleet(tmp_path, ', labels: {policy.spaces-reconciler/exempt: "sleep-on-gpu until 2999-01-31"}'))
    assert honoured.returncode == 0, honoured.stdout
    assert "[exempted until 2999-01-31]" in honoured.stdout
    expired = tmp_path / "manifests" / "demo.yaml"
    expired.write_text(expired.read_text().replace("2999-01-31", "2020-01-31"))
    again = validate(tmp_path)
    assert again.returncode == 1 and "exempted" not in again.stdout


def test_a_malformed_exemption_label_is_located(tmp_path: Path) -> None:
    done = validate(fleet(tmp_path, ", labels: {policy.spaces-reconciler/exempt: sleep-on-gpu}"))
    assert done.returncode == 1
    assert "manifests/demo.yaml:3:" in done.stdout and "expected 'RULE until YYYY-MM-DD" in done.stdout


def test_a_broken_expression_is_file_line_col(tmp_path: Path) -> None:
    done = validate(fleet(tmp_path, policy=POLICY.replace("sleepTime > 0", "sleepTme > 0")))
    assert done.returncode == 1
    assert (
        "manifests/policies.yaml:8:19: error: rule 'sleep-on-gpu': unknown field 'sleepTme' in space.spec; "
        "did you mean 'sleepTime'?" in done.stdout
    )


def test_validate_json_lists_findings(tmp_path: Path) -> None:
    done = validate(fleet(tmp_path), "--format", "json")
    report = json.loads(done.stdout)
    assert report["ok"] is False
    [finding] = report["policy"]
    assert (finding["space"], finding["rule"], finding["outcome"]) == ("acme/gpu-demo", "sleep-on-gpu", "violated")


def test_a_warning_rule_never_fails_validate(tmp_path: Path) -> None:
    done = validate(fleet(tmp_path, policy=POLICY + "      severity: warning\n"))
    assert done.returncode == 0, done.stdout
    assert "warning: acme/gpu-demo: policy gpu-needs-sleep/sleep-on-gpu (warning)" in done.stdout
