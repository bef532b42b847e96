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
