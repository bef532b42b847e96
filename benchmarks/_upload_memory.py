"""Peak memory of uploading one large file, in a process of its own (P9).

`python benchmarks/_upload_memory.py ours|naive ENDPOINT TOKEN WORKSPACE SPACE_ID FILE [--no-xet]`
prints one JSON line: peak RSS (VmHWM) after imports and at the end, wall time, the outcome.
"ours" runs `reconcile apply --auto-approve --no-wait` in this process on WORKSPACE (a
repository whose manifest publishes the folder holding FILE); "naive" creates the Space and
commits FILE read into memory (`path_or_fileobj=<bytes>`), as a script that loads what it
uploads would.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from _memory import peak_mb
from huggingface_hub import CommitOperationAdd, HfApi

from reconciler.cli import main as reconcile


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=["ours", "naive"])
    parser.add_argument("endpoint")
    parser.add_argument("token")
    parser.add_argument("workspace", type=Path)
    parser.add_argument("space_id")
    parser.add_argument("file", type=Path)
    args = parser.parse_args()
    os.environ.update(HF_ENDPOINT=args.endpoint, HF_TOKEN=args.token)
    baseline = peak_mb()
    started = time.perf_counter()
    if args.mode == "ours":
        os.chdir(args.workspace)
        try:
            reconcile(["apply", "--auto-approve", "--no-wait"])
            code = 0
        except SystemExit as done:
            code = done.code if isinstance(done.code, int) else 1
        outcome = f"exit {code}"
    else:
        api = HfApi(endpoint=args.endpoint, token=args.token)
        api.create_repo(args.space_id, repo_type="space", space_sdk="gradio", exist_ok=True)
        data = args.file.read_bytes()
        info = api.create_commit(
            args.space_id,
            [CommitOperationAdd(path_in_repo=args.file.name, path_or_fileobj=data)],
            repo_type="space",
            commit_message="naive upload",
        )
        outcome = f"commit {info.oid[:12]}"
    print(
        json.dumps(
            {
                "mode": args.mode,
                "outcome": outcome,
                "file_bytes": args.file.stat().st_size,
                "seconds": round(time.perf_counter() - started, 1),
                "rss_after_imports_mb": round(baseline, 1),
                "peak_rss_mb": round(peak_mb(), 1),
            }
        ),
        flush=True,
    )


if __name__ == "__main__":
    main()
