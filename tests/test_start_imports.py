"""What a `reconcile` process loads before it does anything: apply uploads in that process, so
whatever it imports up front is carried through the upload (benchmark P9)."""

from __future__ import annotations

import json
import subprocess
import sys

# deepdiff imports pandas and numpy when they are installed (the test extra's gradio installs
# them); the local Hub's server is only for `reconcile hub serve` and `--hub local`.
LOADED_ON_DEMAND = ("deepdiff", "pandas", "numpy", "reconciler.localhub", "starlette", "uvicorn")


def loaded_at_start() -> list[str]:
    probe = (
        "import json, sys\n"
        "from reconciler.cli import main\n"
        f"print(json.dumps([name for name in {LOADED_ON_DEMAND!r} if name in sys.modules]))\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    return list(json.loads(done.stdout))


def test_the_cli_starts_without_deepdiff_its_dataframe_libraries_or_the_local_hub() -> None:
    import importlib.util

    assert importlib.util.find_spec("pandas") is not None, "pandas is installed, so deepdiff would load it"
    assert loaded_at_start() == []
