"""Peak memory of one fleet read, in a process of its own (P6).

`python benchmarks/_memory.py ours|naive ENDPOINT TOKEN FLEET_ROOT COUNT [--parallelism N]`
prints one JSON line: peak RSS (ru_maxrss) after imports and at the end, wall time, Spaces.
"ours" loads the manifests and makes a full plan (cold tree cache); "naive" reads every
Space with the baseline's five calls and keeps what it read, as a script comparing state would.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

import naive
from huggingface_hub import HfApi

# The reconciler is imported in "ours" mode only (run_ours): the baseline's process carries
# huggingface_hub and nothing of this tool, so its peak holds none of our import cost.


def peak_mb() -> float:
    """This process's peak RSS. Linux's ru_maxrss survives fork and exec (a child started by a big
    parent reports the parent's peak), so VmHWM, which exec resets, is read where there is one."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kilobytes on Linux


def run_ours(args: argparse.Namespace) -> tuple[int, int, float, float]:
    """(Spaces planned, Spaces that differ, RSS after imports, seconds): manifests loaded and planned."""
    from _fleet import Fleet, bench_env, load

    from reconciler.hub.cache import TreeCache
    from reconciler.hub.client import HubClient
    from reconciler.model import Rung
    from reconciler.pipeline import make_plan

    bench_env()
    baseline = peak_mb()
    started = time.perf_counter()
    desired = load(Fleet(args.root, args.namespace, args.name, args.count))
    with (
        tempfile.TemporaryDirectory() as cache,
        HubClient(args.endpoint, args.token, parallelism=args.parallelism) as client,
    ):
        plan, _ = make_plan(client, desired, cache=TreeCache(Path(cache)), parallelism=args.parallelism)
    changes = sum(1 for entry in plan.spaces if entry.rung is not Rung.NONE)
    return len(plan.spaces), changes, baseline, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=["ours", "naive"])
    parser.add_argument("endpoint")
    parser.add_argument("token")
    parser.add_argument("root", type=Path)
    parser.add_argument("count", type=int)
    parser.add_argument("--namespace", default="local-org")
    parser.add_argument("--name", default="bench")
    parser.add_argument("--parallelism", type=int, default=16)
    args = parser.parse_args()
    if args.mode == "ours":
        spaces, changes, baseline, seconds = run_ours(args)
    else:
        os.environ.update(HF_HUB_DISABLE_TELEMETRY="1", HF_HUB_DISABLE_PROGRESS_BARS="1")  # as _fleet.bench_env
        baseline = peak_mb()
        started = time.perf_counter()
        ids = [f"{args.namespace}/{args.name}-{i}" for i in range(args.count)]  # as _fleet.Fleet.ids
        outcome = naive.read_fleet(HfApi(endpoint=args.endpoint, token=args.token), ids, args.parallelism)
        spaces, changes = len(outcome.states), sum(outcome.errors.values())
        seconds = time.perf_counter() - started
    print(
        json.dumps(
            {
                "mode": args.mode,
                "spaces": spaces,
                "changes_or_errors": changes,
                "seconds": round(seconds, 2),
                "rss_after_imports_mb": round(baseline, 1),
                "peak_rss_mb": round(peak_mb(), 1),
            }
        )
    )


if __name__ == "__main__":
    main()
