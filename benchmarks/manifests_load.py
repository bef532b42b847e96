"""Benchmark: a SpaceSet generating 10,000 Spaces over a 50-file app folder.

Prints load+validate wall time and the process's peak memory (RSS). Targets: < 10 s and
< 500 MB. Run: .venv/bin/python benchmarks/manifests_load.py [--spaces N] [--files N]
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

from reconciler.manifests import load_manifests

TEMPLATE = """\
apiVersion: spaces-reconciler/v1
kind: SpaceSet
metadata: {{name: bench}}
spec:
  generators:
    - matrix:
        region: [{regions}]
        n: [{numbers}]
  template: |
    metadata:
      namespace: local-org
      name: demo-{{{{ region }}}}-{{{{ n }}}}
      labels: {{region: "{{{{ region }}}}"}}
    spec:
      sdk: gradio
      sdkVersion: "6.15.1"
      hardware: cpu-upgrade
      sleepTime: 3600
      variables: {{REGION: "{{{{ region }}}}", INDEX: "{{{{ n }}}}"}}
      secrets: {{TOKEN: {{fromEnv: BENCH_TOKEN}}}}
      volumes:
        - {{type: bucket, source: local-org/data, mountPath: /data}}
      source: {{path: ../app, exclude: ["*.ipynb"]}}
      card:
        title: Demo {{{{ region }}}} {{{{ n }}}}
        emoji: "🚀"
        colorFrom: blue
        colorTo: indigo
        shortDescription: Benchmark Space {{{{ n }}}}
        tags: [bench, "{{{{ region }}}}"]
"""


def build(root: Path, spaces: int, files: int) -> Path:
    app = root / "app"
    (app / "pkg").mkdir(parents=True)
    (app / "app.py").write_text("import gradio as gr\n")
    (app / "requirements.txt").write_text("numpy\n")
    (app / "README.md").write_text("# Bench\n")
    for index in range(files - 3):
        (app / "pkg" / f"module_{index:03}.py").write_text(f"VALUE = {index}\n" * 50)
    regions = ["eu", "us", "ap", "sa"]
    numbers = spaces // len(regions)
    manifests = root / "manifests"
    manifests.mkdir()
    (manifests / "fleet.yaml").write_text(
        TEMPLATE.format(regions=", ".join(regions), numbers=", ".join(str(i) for i in range(numbers)))
    )
    return manifests


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--spaces", type=int, default=10_000)
    parser.add_argument("--files", type=int, default=50)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        manifests = build(Path(tmp), args.spaces, args.files)
        start = time.perf_counter()
        result = load_manifests([manifests], repo_root=Path(tmp))
        elapsed = time.perf_counter() - start
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    files = len(result.spaces[0].files) if result.spaces else 0
    print(f"spaces: {len(result.spaces)} (files per Space: {files}), diagnostics: {len(result.diagnostics)}")
    print(f"load+validate: {elapsed:.2f} s (target < 10 s)")
    print(f"peak memory (RSS): {peak_mb:.0f} MB (target < 500 MB)")
    if not result.ok or len(result.spaces) != args.spaces:
        for diagnostic in result.diagnostics[:5]:
            print(diagnostic, file=sys.stderr)
        return 1
    return 0 if elapsed < 10 and peak_mb < 500 else 1


if __name__ == "__main__":
    sys.exit(main())
