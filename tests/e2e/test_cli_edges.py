"""Command-line edges a user meets before any Space is involved."""

from __future__ import annotations

import json
import os
import select
import socket
import subprocess
import sys
import time
from pathlib import Path

import click

from reconciler.localhub import LocalHub
from tests.e2e.conftest import run_cli

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
    repo = _small_repo(tmp_path)
    done = subprocess.run(
        [RECONCILE, "plan", "--hub", "local", "--no-color"], cwd=repo, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "local/demo" in done.stdout and "\x1b[" not in done.stdout


def _every_command() -> list[tuple[str, click.Command]]:
    from reconciler.cli import cli

    found: list[tuple[str, click.Command]] = []

    def walk(command: click.Command, path: str) -> None:
        found.append((path, command))
        if isinstance(command, click.Group):
            for name, sub in sorted(command.commands.items()):
                walk(sub, f"{path} {name}".strip())

    walk(cli, "")
    return found


def test_every_subcommand_help_shows_examples() -> None:
    from click.testing import CliRunner

    from reconciler.cli import cli

    commands = [path for path, _ in _every_command() if path]
    assert {"preview up", "preview down", "hub serve"} <= set(commands)
    for name in commands:
        done = CliRunner().invoke(cli, [*name.split(), "--help"])
        assert done.exit_code == 0, done.output
        assert "Examples:" in done.output, name
        assert f"reconcile {name}" in done.output.split("Examples:", 1)[1], name


# One vocabulary for what an option takes; click's type names (TEXT, INTEGER RANGE, PATH,
# DIRECTORY, FLOAT) say how a value is parsed, not what to write.
METAVARS = {"NS", "NS/NAME", "[PATH]...", "FILE", "DIR", "I/N", "N", "DURATION", "SECONDS", "HOST", "PORT"}


def test_every_option_speaks_one_metavar_style() -> None:
    odd = []
    for path, command in _every_command():
        ctx = click.Context(command, info_name=path or "reconcile")
        for param in command.params:
            if isinstance(param, click.Option) and param.is_flag:
                continue
            metavar = param.make_metavar(ctx)
            if metavar not in METAVARS and not isinstance(param.type, click.Choice):
                odd.append(f"{path or 'reconcile'} {param.name}: {metavar}")
    assert not odd, odd


def test_target_takes_globs_and_bare_names_in_any_case_and_suggests_on_a_miss(hub: LocalHub, fleet: Path) -> None:
    def planned(*targets: str) -> list[str]:
        args = [arg for target in targets for arg in ("--target", target)]
        done = run_cli("plan", *args, "--format", "json")
        assert done.code == 0, done.output
        return [entry["id"] for entry in json.loads(done.stdout)["spaces"]]

    assert planned("local-org/regional-*") == ["local-org/regional-demo-eu", "local-org/regional-demo-us"]
    assert planned("GRADIO-hello", "*-EU") == ["local-org/gradio-hello", "local-org/regional-demo-eu"]
    missed = run_cli("plan", "--target", "regional-demo-uk")
    assert missed.code == 1
    assert missed.stderr == (
        "error: --target regional-demo-uk: no manifest describes a Space of this name; "
        "did you mean local-org/regional-demo-us or local-org/regional-demo-eu?\n"
    )


def _small_repo(tmp_path: Path) -> Path:
    repo = tmp_path / "fleet"
    (repo / ".git").mkdir(parents=True)
    (repo / "manifests" / "app").mkdir(parents=True)
    (repo / "manifests" / "app" / "index.html").write_text("<p>hi</p>\n")
    (repo / "manifests" / "demo.yaml").write_text(
        "apiVersion: spaces-reconciler/v1\nkind: Space\nmetadata: {name: demo, namespace: local}\n"
        "spec: {sdk: static, source: {path: app}}\n"
    )
    return repo


def test_answering_no_at_the_apply_prompt_exits_1_and_writes_nothing(tmp_path: Path) -> None:
    repo = _small_repo(tmp_path)
    leader, follower = os.openpty()  # the prompt appears only on a terminal
    with subprocess.Popen(
        [RECONCILE, "--hub", "local", "apply"], cwd=repo, stdin=follower, stdout=follower, stderr=follower
    ) as process:
        os.close(follower)
        seen = b""
        deadline = time.monotonic() + 120
        while b"Apply these changes?" not in seen and time.monotonic() < deadline:
            ready, _, _ = select.select([leader], [], [], 1)
            if ready:
                seen += os.read(leader, 4096)
        assert b"Apply these changes?" in seen, seen.decode(errors="replace")
        os.write(leader, b"n\n")
        try:
            while chunk := os.read(leader, 4096):
                seen += chunk
        except OSError:  # the terminal closes when the process ends
            pass
        code = process.wait(timeout=60)
    os.close(leader)
    assert code == 1, seen.decode(errors="replace")
    assert b"Apply cancelled; nothing was written." in seen
    again = subprocess.run(
        [RECONCILE, "--hub", "local", "plan", "--detailed-exitcode"], cwd=repo, capture_output=True, text=True
    )
    assert again.returncode == 2 and "local/demo" in again.stdout, again.stdout + again.stderr


def test_shell_completion_script_is_what_the_readme_documents(tmp_path: Path) -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    assert 'eval "$(_RECONCILE_COMPLETE=bash_source reconcile)"' in readme
    env = {**os.environ, "_RECONCILE_COMPLETE": "bash_source"}
    script = subprocess.run([RECONCILE], env=env, capture_output=True, text=True, timeout=60)
    assert script.returncode == 0, script.stderr
    assert "complete -o nosort -F _reconcile_completion reconcile" in script.stdout
    checked = subprocess.run(["bash", "-n"], input=script.stdout, capture_output=True, text=True, timeout=60)
    assert checked.returncode == 0, checked.stderr
    asked = {**os.environ, "_RECONCILE_COMPLETE": "bash_complete", "COMP_WORDS": "reconcile pl", "COMP_CWORD": "1"}
    answer = subprocess.run([RECONCILE], env=asked, capture_output=True, text=True, timeout=60)
    assert answer.stdout.split() == ["plain,plan"], answer.stdout + answer.stderr
