"""Command-line edges a user meets before any Space is involved."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

RECONCILE = str(Path(sys.executable).parent / "reconcile")


def test_hub_serve_on_a_port_in_use_exits_1_naming_the_port(tmp_path: Path) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        done = subprocess.run(
            [RECONCILE, "hub", "serve", "--port", str(port), "--state", str(tmp_path / "hub")],
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert done.returncode == 1, done.stderr
    assert f"127.0.0.1:{port} is already in use" in done.stderr
    assert "Traceback" not in done.stderr and "bug" not in done.stderr


def test_state_lives_at_the_repository_root_whatever_the_working_folder(tmp_path: Path) -> None:
    repo = tmp_path / "fleet"
    (repo / ".git").mkdir(parents=True)
    (repo / "manifests").mkdir()
    (repo / "manifests" / "demo.yaml").write_text(
        "apiVersion: spaces-reconciler/v1\nkind: Space\nmetadata: {name: demo, namespace: local}\n"
        "spec: {sdk: static, source: {path: app}}\n"
    )
    (repo / "manifests" / "app").mkdir()
    (repo / "manifests" / "app" / "index.html").write_text("<p>hi</p>\n")
    for folder, target in ((repo, "manifests"), (repo / "manifests", ".")):
        done = subprocess.run(
            [RECONCILE, "--hub", "local", "plan", target], cwd=folder, capture_output=True, text=True, timeout=120
        )
        assert done.returncode == 0, done.stdout + done.stderr
        assert "demo" in done.stdout
    assert (repo / ".reconcile" / "hub" / "token").is_file()
    assert not (repo / "manifests" / ".reconcile").exists()


def test_global_options_are_accepted_after_the_subcommand(tmp_path: Path) -> None:
    from reconciler.cli import hoist_global_options

    assert hoist_global_options(["plan", "--hub", "local", "x"]) == ["--hub", "local", "plan", "x"]
    assert hoist_global_options(["plan", "--hub=local", "--no-color"]) == ["--hub=local", "--no-color", "plan"]
    assert hoist_global_options(["plan", "--", "--hub"]) == ["plan", "--", "--hub"]
    repo = tmp_path / "fleet"
    (repo / ".git").mkdir(parents=True)
    (repo / "manifests" / "app").mkdir(parents=True)
    (repo / "manifests" / "app" / "index.html").write_text("<p>hi</p>\n")
    (repo / "manifests" / "demo.yaml").write_text(
        "apiVersion: spaces-reconciler/v1\nkind: Space\nmetadata: {name: demo, namespace: local}\n"
        "spec: {sdk: static, source: {path: app}}\n"
    )
    done = subprocess.run(
        [RECONCILE, "plan", "--hub", "local", "--no-color"], cwd=repo, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "local/demo" in done.stdout and "\x1b[" not in done.stdout


def test_every_subcommand_help_shows_examples() -> None:
    from click.testing import CliRunner

    from reconciler.cli import cli
    from reconciler.commands import COMMANDS, EXAMPLES

    assert len(EXAMPLES) == len(COMMANDS)
    for name in EXAMPLES:
        done = CliRunner().invoke(cli, [name, "--help"])
        assert done.exit_code == 0, done.output
        assert "Examples:" in done.output and f"reconcile {name}" in done.output.split("Examples:", 1)[1]
