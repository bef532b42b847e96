"""The rung ladder: every rule of the change-rung table, one test each (pure, no Hub)."""

from __future__ import annotations

from typing import Any

import pytest

from reconciler.diff import SecretProbe
from reconciler.model import (
    Action,
    Blocker,
    BlockerCode,
    DesiredSpace,
    ObservedSpace,
    Reason,
    ReasonCode,
    Rung,
    Volume,
)
from reconciler.planner import Pair, plan_pair
from reconciler.render.words import reasons_text
from tests.builders import DEFAULT_FILES, desired, observed_like, remote_files

COSTS = {"cpu-basic": 0.0, "cpu-upgrade": 0.03, "t4-small": 0.4}


def said(entry: Any) -> list[str]:
    """The entry's reasons as every view words them."""
    return reasons_text(entry.reasons, entry.files)


def plan_for(want: DesiredSpace, have: ObservedSpace | None, probes: dict[str, SecretProbe] | None = None) -> Any:
    return plan_pair(Pair(want.id, want, have, probes or {}), COSTS, has_key=False)


def with_files(**overrides: str) -> dict[str, str]:
    files = dict(DEFAULT_FILES)
    files.update(overrides)
    return files


def test_nothing_differs_is_none() -> None:
    want = desired()
    entry = plan_for(want, observed_like(want))
    assert (entry.rung, entry.action, entry.restarts, entry.changes) == (Rung.NONE, Action.NOOP, 0, ())


def test_missing_space_is_create() -> None:
    entry = plan_for(desired(), None)
    assert (entry.rung, entry.action) == (Rung.CREATE, Action.CREATE)
    assert {f.path for f in entry.files.added} == {"app.py", "README.md"}


def test_app_py_edit_on_running_gradio_6_1_is_hot_reload() -> None:
    want = desired(files=with_files(**{"app.py": "print('new')\n"}))
    have = observed_like(want, files=remote_files(DEFAULT_FILES))
    entry = plan_for(want, have)
    assert entry.rung is Rung.HOT_RELOAD
    assert entry.restarts == 0
    assert entry.reasons == (Reason(code=ReasonCode.HOT_RELOAD, subjects=("app.py",), detail="6.15.1"),)
    assert said(entry) == ["app.py modified; only Python files changed on gradio 6.15.1 -> hot reload"]


def test_new_python_file_is_hot_reload() -> None:
    want = desired(files=with_files(**{"utils.py": "X = 1\n"}))
    entry = plan_for(want, observed_like(want, files=remote_files(DEFAULT_FILES)))
    assert entry.rung is Rung.HOT_RELOAD
    assert [f.path for f in entry.files.added] == ["utils.py"]


@pytest.mark.parametrize(
    ("spec", "stage", "why"),
    [
        ({"sdk_version": "5.9.1", "card": {"sdk": "gradio", "sdk_version": "5.9.1"}}, "RUNNING", "older than 6.1"),
        ({}, "BUILDING", "not RUNNING"),
        ({"sdk": "docker", "sdk_version": None, "card": {"sdk": "docker"}}, "RUNNING", "hot reload needs gradio"),
    ],
)
def test_app_py_edit_without_hot_reload_conditions_is_upload(spec: dict[str, Any], stage: str, why: str) -> None:
    want = desired(files=with_files(**{"app.py": "print('new')\n"}), **spec)
    entry = plan_for(want, observed_like(want, stage=stage, files=remote_files(DEFAULT_FILES)))
    assert entry.rung is Rung.UPLOAD
    assert entry.restarts == 1
    assert why in said(entry)[-1]


def test_deleted_python_file_is_upload() -> None:
    want = desired()
    entry = plan_for(want, observed_like(want, files=remote_files(with_files(**{"old.py": "x = 1\n"}))))
    assert entry.rung is Rung.UPLOAD
    assert [f.path for f in entry.files.deleted] == ["old.py"]
    assert said(entry) == ["old.py deleted -> upload (a hot reload cannot delete files)"]


def test_each_file_is_named_once_with_what_happened_to_it() -> None:
    # utils.py was added on the Hub by hand: the plan deletes it; style.css is new in git.
    want = desired(files=with_files(**{"app.py": "print('new')\n", "style.css": "p {}\n"}))
    have = observed_like(want, files=remote_files(with_files(**{"utils.py": "X = 1\n"})))
    entry = plan_for(want, have)
    assert entry.rung is Rung.UPLOAD
    assert said(entry) == [
        "style.css added, app.py modified, utils.py deleted -> upload (a hot reload cannot delete files)"
    ]
    edited = plan_for(want, observed_like(want, files=remote_files(DEFAULT_FILES)))
    assert said(edited) == ["style.css added, app.py modified -> upload (a hot reload takes only Python files)"]
    # A plan read back without file lists still tells the deleted files from the others.
    assert reasons_text(entry.reasons) == [
        "app.py, style.css changed, utils.py deleted -> upload (a hot reload cannot delete files)"
    ]


def test_readme_body_only_is_upload() -> None:
    want = desired(files=with_files(**{"README.md": "---\nsdk: gradio\n---\n# new body\n"}))
    entry = plan_for(want, observed_like(want, files=remote_files(DEFAULT_FILES)))
    assert entry.rung is Rung.UPLOAD
    assert "README.md" in said(entry)[-1]


def test_front_matter_key_is_rebuild() -> None:
    want = desired(card={"sdk": "gradio", "sdk_version": "6.15.1", "title": "New title"})
    have = observed_like(want, card={"sdk": "gradio", "sdk_version": "6.15.1", "title": "Old"})
    entry = plan_for(want, have)
    assert entry.rung is Rung.REBUILD
    assert said(entry)[-1] == "README front matter (title) changed -> rebuild"


@pytest.mark.parametrize("name", ["requirements.txt", "packages.txt", "pre-requirements.txt", "Dockerfile"])
def test_build_input_is_rebuild(name: str) -> None:
    want = desired(files=with_files(**{name: "numpy\n"}))
    entry = plan_for(want, observed_like(want, files=remote_files(DEFAULT_FILES)))
    assert entry.rung is Rung.REBUILD
    assert entry.restarts == 1
    assert said(entry)[-1] == f"{name} added -> rebuild"


def test_restarting_settings_are_one_restart_however_many_fields() -> None:
    want = desired(
        hardware="t4-small",
        variables={"A": "1", "B": "2"},
        secrets={"TOKEN": "TOKEN_ENV"},
        volumes=(Volume(type="bucket", source="acme/data", mount_path="/data"),),
    )
    have = observed_like(want, hardware="cpu-basic", variables={}, secrets={}, volumes=())
    entry = plan_for(want, have, {"TOKEN": SecretProbe(available=True)})
    assert (entry.rung, entry.restarts) == (Rung.SETTINGS, 1)
    paths = [c.path for c in entry.changes]
    assert paths == [
        "spec.hardware",
        "spec.secrets.TOKEN",
        "spec.variables.A",
        "spec.variables.B",
        "spec.volumes./data",
    ]
    assert entry.cost.before_usd_per_hour == 0.0 and entry.cost.after_usd_per_hour == 0.4


@pytest.mark.parametrize(("field", "value", "before"), [("sleep_time", 3600, 600), ("visibility", "private", "public")])
def test_sleep_time_or_visibility_alone_is_settings_without_restart(field: str, value: Any, before: Any) -> None:
    want = desired(hardware="cpu-upgrade", **{field: value})
    entry = plan_for(want, observed_like(want, **{field: before}))
    assert (entry.rung, entry.restarts) == (Rung.SETTINGS, 0)
    assert "no restart" in said(entry)[0]


def test_settings_plus_files_take_the_file_rung_with_one_restart() -> None:
    want = desired(hardware="t4-small", files=with_files(**{"requirements.txt": "numpy\n"}))
    have = observed_like(want, hardware="cpu-basic", files=remote_files(DEFAULT_FILES))
    entry = plan_for(want, have)
    assert (entry.rung, entry.restarts) == (Rung.REBUILD, 1)
    assert said(entry)[0].startswith("hardware changed -> settings")


def test_python_edit_with_a_restarting_setting_is_one_upload() -> None:
    want = desired(variables={"A": "2"}, files=with_files(**{"app.py": "print('new')\n"}))
    have = observed_like(want, variables={}, files=remote_files(DEFAULT_FILES))
    entry = plan_for(want, have)
    assert (entry.rung, entry.restarts) == (Rung.UPLOAD, 1)
    assert said(entry)[-1] == "app.py modified -> upload (the settings change restarts the Space anyway)"


def test_python_edit_with_a_quiet_setting_still_hot_reloads() -> None:
    want = desired(visibility="private", files=with_files(**{"app.py": "print('new')\n"}))
    have = observed_like(want, visibility="public", files=remote_files(DEFAULT_FILES))
    entry = plan_for(want, have)
    assert (entry.rung, entry.restarts) == (Rung.HOT_RELOAD, 0)


def test_ignored_changes_are_not_planned() -> None:
    from reconciler.model import Lifecycle

    want = desired(hardware="t4-small", lifecycle=Lifecycle(ignore_changes=("spec.hardware",)))
    entry = plan_for(want, observed_like(want, hardware="a10g-small"))
    assert entry.rung is Rung.NONE


def test_server_owned_gitattributes_is_not_a_deletion() -> None:
    want = desired()
    files = remote_files(with_files(**{".gitattributes": "*.bin filter=lfs\n"}))
    assert plan_for(want, observed_like(want, files=files)).rung is Rung.NONE


def test_ignore_changes_accepts_the_manifest_spelling_of_card_keys() -> None:
    from reconciler.model import Lifecycle

    want = desired(
        card={"sdk": "gradio", "sdk_version": "6.15.1", "short_description": "new"},
        lifecycle=Lifecycle(ignore_changes=("spec.card.shortDescription",)),
    )
    have = observed_like(want, card={"sdk": "gradio", "sdk_version": "6.15.1", "short_description": "old"})
    assert plan_for(want, have).rung is Rung.NONE


def test_sleep_time_on_cpu_basic_is_not_managed() -> None:
    want = desired(sleep_time=3600)
    assert plan_for(want, observed_like(want, sleep_time=172800)).rung is Rung.NONE


def test_never_sleeping_matches_a_runtime_without_gc_timeout() -> None:
    want = desired(hardware="cpu-upgrade", sleep_time=-1)
    assert plan_for(want, observed_like(want, sleep_time=None)).rung is Rung.NONE


def test_unpausing_says_the_space_starts_and_counts_that_restart() -> None:
    # Bug 3: the reason said "no restart" while the restart count said 1.
    want = desired(paused=False)
    entry = plan_for(want, observed_like(want, stage="PAUSED"))
    assert (entry.rung, entry.restarts) == (Rung.SETTINGS, 1)
    assert entry.reasons == (Reason(code=ReasonCode.SETTINGS_START, subjects=("paused",)),)
    assert said(entry) == ["paused changed -> settings (the Space starts again)"]


def test_pausing_stops_the_space_without_a_restart() -> None:
    want = desired(paused=True)
    entry = plan_for(want, observed_like(want, stage="RUNNING"))
    assert (entry.rung, entry.restarts) == (Rung.SETTINGS, 0)
    assert said(entry) == ["paused changed -> settings (the Space stops)"]


def test_pausing_with_a_python_edit_is_an_upload_not_a_hot_reload() -> None:
    # Bug 1: a hot reload was planned; its fallback restart then un-paused the Space.
    want = desired(paused=True, files=with_files(**{"app.py": "print('new')\n"}))
    entry = plan_for(want, observed_like(want, stage="RUNNING", files=remote_files(DEFAULT_FILES)))
    assert entry.rung is Rung.UPLOAD
    [upload] = [r for r in entry.reasons if r.code is ReasonCode.UPLOAD]
    assert upload.blocker == Blocker(code=BlockerCode.SETTINGS_PAUSE)


@pytest.mark.parametrize(
    ("sdk", "files", "starter"),
    [
        ("static", {"index.html": "<p>hi</p>\n"}, ("style.css",)),
        ("static", {"index.html": "<p>hi</p>\n", "style.css": "p {}\n"}, ()),
        ("static", {"page.html": "<p>hi</p>\n"}, ("index.html", "style.css")),
        ("gradio", DEFAULT_FILES, ()),
    ],
)
def test_a_creation_lists_the_hubs_starter_files_its_commit_removes(
    sdk: str, files: dict[str, str], starter: tuple[str, ...]
) -> None:
    """A new static Space starts with index.html and style.css (hub-contract §13); the first
    commit removes those git lacks, so the plan lists them and counts them as deletions."""
    entry = plan_for(desired(files=files, sdk=sdk, sdk_version=None), None)
    assert entry.action is Action.CREATE
    assert entry.files.starter == starter
    assert entry.files.deleted == ()
    (commit,) = [step for step in entry.steps if step.kind == "commit"]
    assert commit.deletions == len(starter)
