"""Where the tool keeps its own files: `.reconcile/` at the root of the git repository.

The cache, the crash log and the embedded local Hub's state belong to the repository that holds
the manifests, not to whatever folder a command ran from: running `reconcile plan` from
`manifests/` must reuse the same tree cache and the same local Hub as running it from the root.
Outside any git repository the current directory is the root.
"""

from __future__ import annotations

from pathlib import Path

from reconciler.files import DIR_MODE, private_dir

STATE_DIR_NAME = ".reconcile"


def repository_root(start: Path | None = None) -> Path:
    """The nearest folder at or above `start` (default: the current directory) holding `.git`."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        # `.git` is a folder in a clone and a file in a worktree or submodule.
        if (folder / ".git").exists():
            return folder
    return here


def state_dir(start: Path | None = None) -> Path:
    return private(repository_root(start) / STATE_DIR_NAME)


def private(folder: Path) -> Path:
    """`folder`, made if missing and readable by its owner only (0700): it holds private Spaces'
    file trees, the crash log, upload pins and the local Hub. Where it cannot be made or changed
    (a read-only checkout, someone else's folder) it is left as it is."""
    try:
        private_dir(folder)
        if folder.stat().st_mode & 0o077:
            folder.chmod(DIR_MODE)
    except OSError:
        pass
    return folder


def tree_cache_dir(start: Path | None = None) -> Path:
    return state_dir(start) / "cache" / "trees"
