"""Unit tests of the local Hub's storage, commit and runtime logic (no HTTP)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from reconciler.localhub import card, gitobj, runtime
from reconciler.localhub.errors import HubError
from reconciler.localhub.state import LfsRef, Operation, Store

D = runtime.Durations(build=20.0, restart=5.0)


def make_repo(store: Store, files: dict[str, bytes] | None = None) -> str:
    repo = store.create("space", "local/demo", "public", "gradio", "local", files or {"README.md": b"# hi\n"})
    store.save(repo)
    return repo.head


# ---------------------------------------------------------------------- git objects


def test_blob_oid_is_git_hash_object() -> None:
    assert gitobj.blob_oid(b"print('hi')\n") == "9f1b437537a2acdadafd3174f6f0af9c1a04f5e4"
    assert gitobj.blob_oid(b"") == "e69de29bb2d1d6434b8b29ae775ad8c2e48c5391"


@pytest.mark.parametrize("path", ["../x", "/etc/passwd", "a//b", "a/./b", "a/../b", ".git/config", "a\\b", ""])
def test_paths_that_cannot_be_in_a_repo(path: str) -> None:
    assert gitobj.path_problem(path)


@pytest.mark.parametrize("path", ["app.py", "src/sub dir/a.py", ".gitattributes", "a.b/c"])
def test_paths_that_can(path: str) -> None:
    assert gitobj.path_problem(path) is None


# ---------------------------------------------------------------------- store


def test_first_start_creates_the_default_user_and_token_file(tmp_path: Path) -> None:
    store = Store(tmp_path)
    info = store.tokens[store.default_token]
    assert (info.user, info.role, info.orgs) == ("local", "write", ["local-org"])
    assert (tmp_path / "token").read_text().strip() == store.default_token
    assert Store(tmp_path).default_token == store.default_token


def test_commit_puts_and_deletes_and_keeps_history(tmp_path: Path) -> None:
    store = Store(tmp_path)
    first = make_repo(store, {"a.txt": b"a", "src/b.py": b"b"})
    repo = store.get("space", "local/demo")
    assert repo is not None
    result = store.commit(repo, [Operation("put", "a.txt", b"A"), Operation("delete_folder", "src")], "t", "", "local")
    assert result.changed == ["a.txt"] and result.deleted == ["src/b.py"]
    assert set(repo.tree) == {"a.txt"} and repo.tree["a.txt"][0] == gitobj.blob_oid(b"A")
    assert store.read_file(repo.tree, "a.txt") == b"A"
    assert set(store.tree_at(repo, first)) == {"a.txt", "src/b.py"}
    assert [c.parent for c in repo.commits] == [None, first]


def test_a_rejected_commit_changes_nothing(tmp_path: Path) -> None:
    store = Store(tmp_path)
    head = make_repo(store, {"a.txt": b"a"})
    repo = store.get("space", "local/demo")
    assert repo is not None
    with pytest.raises(HubError) as rejected:
        store.commit(repo, [Operation("put", "new.txt", b"n"), Operation("delete", "missing.txt")], "t", "", "local")
    assert rejected.value.status == 404 and rejected.value.code == "EntryNotFound"
    with pytest.raises(HubError) as clash:
        store.commit(repo, [Operation("put", "a.txt/inner", b"x")], "t", "", "local")
    assert clash.value.status == 422
    assert repo.head == head and set(repo.tree) == {"a.txt"} and len(repo.commits) == 1


def test_state_survives_a_restart(tmp_path: Path) -> None:
    store = Store(tmp_path)
    make_repo(store, {"app.py": b"x"})
    repo = store.get("space", "local/demo")
    assert repo is not None
    store.commit(repo, [Operation("put", "b.txt", b"b")], "second", "body", "local")
    repo.variables["MODE"] = {"value": "prod", "description": None, "updatedAt": "2026-01-01T00:00:00.000Z"}
    store.save(repo)
    store.event(repo.id, "commit", "second")
    with open(tmp_path / "events.jsonl", "a") as log:
        log.write('{"time": "2026')  # a crash in the middle of an append

    again = Store(tmp_path).get("space", "local/demo")
    assert again is not None
    assert again.head == repo.head and again.tree == repo.tree and again.variables == repo.variables
    assert [c.title for c in again.commits] == ["initial commit", "second"]
    assert [e["kind"] for e in Store(tmp_path).events] == ["commit"]


def test_move_and_delete_update_the_files_on_disk(tmp_path: Path) -> None:
    store = Store(tmp_path)
    make_repo(store)
    repo = store.get("space", "local/demo")
    assert repo is not None
    store.move(repo, "local-org/demo2")
    assert sorted(p.name for p in (tmp_path / "repos" / "spaces").rglob("*.json")) == ["demo2.json"]
    store.delete(repo)
    assert Store(tmp_path).get("space", "local-org/demo2") is None


# ---------------------------------------------------------------------- runtime


def started(outcome: tuple[str, str] = ("ok", ""), kind: str = "build", run: runtime.Run | None = None) -> runtime.Run:
    return runtime.start(run or runtime.empty_run(), kind, "a" * 40, outcome, "t4-small", False, D, 1000.0)


def test_a_build_goes_through_building_and_app_starting_to_running() -> None:
    run = started()
    stages = [(runtime.view(run, False, D, t).stage, runtime.view(run, False, D, t).sha) for t in (1000, 1021, 1026)]
    assert stages == [("BUILDING", None), ("APP_STARTING", None), ("RUNNING", "a" * 40)]
    assert runtime.view(run, False, D, 1010).hardware is None  # building from nothing
    assert runtime.view(run, False, D, 1026).hardware == "t4-small"


def test_a_settings_restart_skips_the_build_and_keeps_serving_the_old_sha_until_it_is_up() -> None:
    first = started()
    second = runtime.start(first, "restart", "a" * 40, ("ok", ""), "a10g-small", False, D, 2000.0)
    assert runtime.view(second, False, D, 2001).stage == "APP_STARTING"
    assert runtime.view(second, False, D, 2001).hardware == "t4-small"
    assert runtime.view(second, False, D, 2006).hardware == "a10g-small"


def test_the_running_sha_lags_a_new_build() -> None:
    first = started()
    second = runtime.start(first, "build", "b" * 40, ("ok", ""), "t4-small", False, D, 2000.0)
    assert runtime.view(second, False, D, 2001).sha == "a" * 40
    assert runtime.view(second, False, D, 2030).sha == "b" * 40


def test_failures_and_pause() -> None:
    assert runtime.view(started(("build_error", "x")), False, D, 1021).stage == "BUILD_ERROR"
    assert runtime.view(started(("runtime_error", "x")), False, D, 1026).stage == "RUNTIME_ERROR"
    assert runtime.view(started(("no_app_file", "x")), False, D, 1000).stage == "NO_APP_FILE"
    paused = {**started(), "paused": True}
    assert runtime.view(paused, False, D, 5000).stage == "PAUSED"
    assert runtime.view(started(), True, D, 1000).stage == "RUNNING"  # static: nothing to build


def test_outcomes_come_from_the_files() -> None:
    files = {"app.py": b"import gradio\n", "requirements.txt": b"numpy\n"}

    def evaluate(sdk: str, extra: dict[str, bytes], readme: dict[str, str] | None = None) -> str:
        tree = {**files, **extra}
        return runtime.evaluate(sdk, readme or {}, set(tree), tree.__getitem__)[0]

    assert evaluate("gradio", {}) == "ok"
    assert evaluate("gradio", {"requirements.txt": b"numpy\n# localhub: build-error\n"}) == "build_error"
    assert evaluate("gradio", {"app.py": b"raise SystemExit  # localhub: runtime-error\n"}) == "runtime_error"
    assert evaluate("gradio", {}, {"app_file": "main.py"}) == "no_app_file"
    assert evaluate("docker", {}) == "no_app_file"
    assert evaluate("docker", {"Dockerfile": b"FROM x\nRUN false # localhub: build-error\n"}) == "build_error"
    assert evaluate("static", {"index.html": b"<p>hi</p>"}) == "ok"


def test_hot_reload_needs_a_running_recent_gradio_and_only_python_changes() -> None:
    run = started()
    ok_card = {"sdk_version": "6.2.0"}
    assert runtime.hot_reload_allowed(run, "gradio", ok_card, ["app.py"], [], False, D, 1100)
    assert not runtime.hot_reload_allowed(run, "gradio", ok_card, ["app.py"], [], False, D, 1001)  # building
    assert not runtime.hot_reload_allowed(run, "gradio", {"sdk_version": "5.9"}, ["app.py"], [], False, D, 1100)
    assert not runtime.hot_reload_allowed(run, "gradio", ok_card, ["app.py", "x.txt"], [], False, D, 1100)
    assert not runtime.hot_reload_allowed(run, "gradio", ok_card, ["app.py"], ["old.py"], False, D, 1100)
    assert not runtime.hot_reload_allowed(run, "docker", ok_card, ["app.py"], [], False, D, 1100)


# ---------------------------------------------------------------------- card


def test_space_card_checks() -> None:
    problems = card.space_card_problems(
        {"sdk": "cobol", "colorFrom": "teal", "colorTo": "blue", "short_description": "x" * 61}
    )
    assert len(problems) == 3
    assert card.space_card_problems({"sdk": "gradio", "colorFrom": "red", "short_description": "short"}) == []
    with pytest.raises(card.CardError):
        card.parse_card("---\n[unclosed\n---\n")
    assert card.parse_card("no front matter") == {}
    assert card.parse_card("---\nreleased: 2024-01-01\n---\n") == {"released": "2024-01-01"}  # served as JSON
    assert card.version_at_least("6.15.1", (6, 1)) and not card.version_at_least("6.0.9", (6, 1))
    assert json.dumps(card.parse_card(card.initial_space_readme("demo", "gradio", "6.15.1")))


# ---------------------------------------------------------------------- LFS / Xet contents


def test_lfs_contents_are_stored_by_sha256_after_checking_them(tmp_path: Path) -> None:
    store = Store(tmp_path)
    data = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 40
    sha = hashlib.sha256(data).hexdigest()
    assert not store.has_lfs(sha)
    store.put_lfs(sha, data, len(data))
    assert store.has_lfs(sha) and store.lfs_path(sha).read_bytes() == data
    assert store.lfs_path(sha) == tmp_path / "lfs" / sha[:2] / sha
    assert store.xet_hash(sha) is None
    source = tmp_path / "elsewhere.bin"
    source.write_bytes(b"other")
    other = hashlib.sha256(b"other").hexdigest()
    store.put_lfs(other, source, 5, xet_hash="ab" * 32)
    assert source.exists(), "a file outside the store's temp folder is copied, never moved"
    assert store.xet_hash(other) == "ab" * 32 and store.sha256_of_xet("ab" * 32) == other
    reopened = Store(tmp_path)
    assert reopened.has_lfs(other) and reopened.xet_hash(other) == "ab" * 32


def test_lfs_temp_files_are_moved_into_place_and_never_left_behind(tmp_path: Path) -> None:
    store = Store(tmp_path)
    temp = store.temp_path()
    temp.write_bytes(b"x" * 3000)
    sha = hashlib.sha256(b"x" * 3000).hexdigest()
    store.put_lfs(sha, temp, 3000)
    assert not temp.exists() and store.lfs_path(sha).read_bytes() == b"x" * 3000
    bad = store.temp_path()
    bad.write_bytes(b"y")
    with pytest.raises(HubError) as wrong:
        store.put_lfs(sha, bad, 1)
    assert wrong.value.status == 422 and not bad.exists()
    assert store.lfs_path(sha).read_bytes() == b"x" * 3000


@pytest.mark.parametrize(
    ("oid", "data", "size", "status"),
    [
        (hashlib.sha256(b"abc").hexdigest(), b"abd", 3, 422),
        (hashlib.sha256(b"abc").hexdigest(), b"abc", 4, 422),
        ("A" * 64, b"abc", 3, 400),
        ("../../etc/passwd", b"abc", 3, 400),
    ],
)
def test_lfs_contents_that_do_not_match_are_refused(
    tmp_path: Path, oid: str, data: bytes, size: int, status: int
) -> None:
    store = Store(tmp_path)
    with pytest.raises(HubError) as refused:
        store.put_lfs(oid, data, size)
    assert refused.value.status == status
    assert not list((tmp_path / "lfs").rglob("*"))


def test_an_lfs_file_is_committed_as_its_pointer_and_read_back_as_content(tmp_path: Path) -> None:
    store = Store(tmp_path)
    make_repo(store, {"app.py": b"x"})
    repo = store.get("space", "local/demo")
    assert repo is not None
    data = b"\x00\x01weights" * 100
    sha = hashlib.sha256(data).hexdigest()
    store.put_lfs(sha, data, len(data))
    result = store.commit(repo, [Operation("put", "w.bin", lfs=LfsRef(sha, len(data)))], "lfs", "", "local")
    pointer = f"version https://git-lfs.github.com/spec/v1\noid sha256:{sha}\nsize {len(data)}\n".encode()
    expected_oid = hashlib.sha1(b"blob %d\0" % len(pointer) + pointer).hexdigest()
    assert repo.tree["w.bin"] == [
        expected_oid,
        len(data),
        result.commit.id,
        {"sha256": sha, "size": len(data), "pointerSize": len(pointer)},
    ]
    assert store.read_blob(expected_oid) == pointer
    assert store.read_file(repo.tree, "w.bin") == data
    again = store.commit(repo, [Operation("put", "w.bin", lfs=LfsRef(sha, len(data)))], "same", "", "local")
    assert again.changed == [], "the same content is no change"
    store.save(repo)
    assert Store(tmp_path).get("space", "local/demo").tree == repo.tree  # type: ignore[union-attr]


def test_state_written_before_lfs_support_still_loads(tmp_path: Path) -> None:
    store = Store(tmp_path)
    make_repo(store, {"app.py": b"print(1)\n"})
    path = tmp_path / "repos" / "spaces" / "local" / "demo.json"
    data = json.loads(path.read_text())
    assert all(len(entry) == 3 for entry in data["tree"].values()), "regular files keep 3-element entries"
    again = Store(tmp_path).get("space", "local/demo")
    assert again is not None and again.tree["app.py"][0] == gitobj.blob_oid(b"print(1)\n")
    assert again.tree == data["tree"]
