"""Apply writes its own commit's tree to the tree cache, so the plan after a rollout reads no tree.

The tree is computed from what the commit sent (git blob ids, sha256 and pointer sizes for
LFS/Xet files): it must equal the tree the Hub then lists, with Xet and with LFS. A plan trusts
such a derived tree only to find nothing to do; a difference it finds is checked against the
Hub's own tree before anything is written.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import huggingface_hub.constants
import pytest

from reconciler.hub.cache import TreeCache
from reconciler.localhub import LocalHub
from reconciler.model import LfsInfo, RemoteFile
from tests.e2e.conftest import run_cli
from tests.e2e.test_binary_files import BIN, SPACE, admin, api, apply_ok, write_media_space

TREE_ROUTE = "GET /api/spaces/{id}/tree/{rev}"


@pytest.fixture(params=["xet", "lfs"])
def media(request: pytest.FixtureRequest, hub: LocalHub, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The media Space of test_binary_files, uploaded with Xet (the default) or the LFS batch API."""
    if request.param == "lfs":
        monkeypatch.setenv("HF_HUB_DISABLE_XET", "1")
        monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_DISABLE_XET", True)  # read once, at import
    root = tmp_path / "repo"
    app = write_media_space(root)
    monkeypatch.chdir(root)
    return app


def cache() -> TreeCache:
    return TreeCache(Path.cwd() / ".reconcile" / "cache" / "trees")


def head(hub: LocalHub) -> str:
    sha = api(hub).space_info(SPACE).sha
    assert sha is not None
    return sha


def hub_tree(hub: LocalHub, sha: str) -> tuple[RemoteFile, ...]:
    items = api(hub).list_repo_tree(SPACE, repo_type="space", revision=sha, recursive=True)
    files = []
    for item in items:
        if hasattr(item, "blob_id"):
            lfs = item.lfs
            info = LfsInfo(sha256=lfs.sha256, size=lfs.size, pointer_size=lfs.pointer_size) if lfs else None
            files.append(RemoteFile(path=item.path, blob_id=item.blob_id, size=item.size, lfs=info))
    return tuple(sorted(files, key=lambda f: f.path))


def plan_requests(hub: LocalHub) -> tuple[dict[str, object], dict[str, int]]:
    admin(hub, "POST", "stats/reset")
    result = run_cli("plan", "--format", "json")
    assert result.code == 0, result.output
    (entry,) = json.loads(result.stdout)["spaces"]
    return entry, admin(hub, "GET", "stats")["by_route"]


def update_files(app: Path) -> None:
    """A regular file and an LFS/Xet file changed, one added, one deleted."""
    (app / "app.py").write_text((app / "app.py").read_text() + "# changed\n")
    (app / BIN).write_bytes(os.urandom(3 * 1024 * 1024))
    (app / "notes.md").write_text("added\n")
    (app / "examples" / "empty.txt").unlink()


def test_the_tree_apply_derives_is_the_tree_the_hub_lists(hub: LocalHub, media: Path) -> None:
    apply_ok()
    update_files(media)
    apply_ok()
    sha = head(hub)
    found = cache().lookup(sha)
    assert found is not None, "apply wrote no tree for its commit"
    files, derived = found
    assert derived
    assert [f.model_copy(update={"xet_hash": None}) for f in files] == list(hub_tree(hub, sha))
    assert any(f.lfs is not None for f in files) and any(f.lfs is None for f in files)


def test_plan_after_apply_reads_no_tree(hub: LocalHub, media: Path) -> None:
    apply_ok()
    update_files(media)
    apply_ok()
    entry, routes = plan_requests(hub)
    assert entry["rung"] == "none", entry
    assert TREE_ROUTE not in routes, routes
    # What a no-op plan of one Space costs: the listing, variables, secrets, the hardware list.
    assert sum(routes.values()) == 4, routes


def test_a_difference_on_a_derived_tree_is_checked_against_the_hub(hub: LocalHub, media: Path) -> None:
    apply_ok()
    update_files(media)
    apply_ok()
    sha = head(hub)
    files, _ = cache().lookup(sha) or ((), False)
    # A derived tree that does not match the Hub (a file the Hub does not have): the plan must not
    # act on it; it reads the Hub's tree, which replaces the entry, and finds nothing to do.
    wrong = (*files, RemoteFile(path="ghost.txt", blob_id="0" * 40, size=1))
    cache().put(sha, tuple(sorted(wrong, key=lambda f: f.path)), derived=True)
    entry, routes = plan_requests(hub)
    assert entry["rung"] == "none", entry
    assert routes.get(TREE_ROUTE) == 1, routes
    again = cache().lookup(sha)
    assert again is not None and not again[1] and "ghost.txt" not in {f.path for f in again[0]}


def test_a_real_change_after_apply_plans_on_the_hubs_tree(hub: LocalHub, media: Path) -> None:
    apply_ok()
    update_files(media)
    apply_ok()
    (media / "notes.md").write_text("changed again\n")
    entry, routes = plan_requests(hub)
    assert entry["rung"] != "none"
    assert [f["path"] for f in entry["files"]["modified"]] == ["notes.md"], entry["files"]
    assert routes.get(TREE_ROUTE) == 1, routes
