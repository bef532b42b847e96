"""When a Space rebuilds or restarts, as the Hub decides it: commits, settings, reboots."""

from __future__ import annotations

from typing import Any

from reconciler.localhub import apprunner, runtime
from reconciler.localhub.state import CommitResult, Repo
from reconciler.localhub.web import Core

# Files whose change invalidates the cached image (besides the README front matter).
BUILD_FILES = ("requirements.txt", "pre-requirements.txt", "packages.txt", "Dockerfile")


def sdk_of(repo: Repo) -> str:
    card_sdk = repo.card.get("sdk")
    return card_sdk if isinstance(card_sdk, str) else repo.sdk or "gradio"


def is_static(repo: Repo) -> bool:
    return sdk_of(repo) == "static"


def current(core: Core, repo: Repo) -> runtime.View:
    view = runtime.view(repo.run, is_static(repo), core.durations, core.store.clock.now())
    return view if core.apps is None else _live(core, repo, view)


def _live(core: Core, repo: Repo, view: runtime.View) -> runtime.View:
    # --run-apps: a gradio Space's stage comes from its real process (apprunner.py).
    assert core.apps is not None
    target = repo.run.get("target") or ""

    def files() -> dict[str, bytes]:
        tree = core.store.tree_at(repo, target)
        return {path: core.store.read_file(tree, path) for path in tree}

    return apprunner.live_view(core.apps, repo, view, sdk_of(repo), subdomain(repo), files)


def runtime_json(core: Core, repo: Repo) -> dict[str, Any]:
    data = _simulated_json(core, repo)
    if core.apps is not None and not is_static(repo):
        live = current(core, repo)
        data.update(stage=live.stage, errorMessage=live.error)
        data["replicas"] = {"requested": 1, **({"current": 1} if live.stage == "RUNNING" else {})}
    return data


def _simulated_json(core: Core, repo: Repo) -> dict[str, Any]:
    return runtime.runtime_json(
        repo.run,
        static=is_static(repo),
        durations=core.durations,
        now=core.store.clock.now(),
        requested=repo.hardware,
        sleep=repo.sleep,
        dev_mode=repo.dev_mode,
        volumes=repo.volumes,
        subdomain=subdomain(repo),
        with_sha=core.fidelity.runtime_sha,
    )


def subdomain(repo: Repo) -> str:
    # Never a substring of the local endpoint URL, so the client's hot-reload replica URL
    # (host with subdomain replaced) stays the local Hub itself.
    return "".join(ch if ch.isalnum() else "-" for ch in repo.id.lower())


# Stages after which a commit or a settings change leaves the old state showing for a while
# (hub-contract §13). A new Space, or one already starting, shows BUILDING at once: the recorded
# space-test_pause_and_restart_space reads BUILDING right after its commits and its restart.
SETTLED = frozenset({"RUNNING", "RUNTIME_ERROR", "BUILD_ERROR", "CONFIG_ERROR", "SLEEPING", "STOPPED"})


def start(core: Core, repo: Repo, kind: str, detail: str, keep_paused: bool = True, lagged: bool = False) -> None:
    """Begin a "build", a "factory_reboot" or a settings "restart" (which builds when no image is ready).

    `lagged`: caused by a commit or a settings write (not the restart endpoint, recorded as immediate)."""
    store, now = core.store, core.store.clock.now()
    if kind == "restart" and _joins_start_in_progress(core, repo):
        # Settings written while the Space is already starting this commit are read when the
        # app starts: the Space still starts once, with the latest hardware.
        repo.run["hardware"] = repo.hardware
        return
    if kind == "restart" and not (repo.run.get("target") == repo.head and current(core, repo).built):
        kind, detail = "build", f"{detail}; no image of {repo.head[:7]} yet"
    outcome = runtime.evaluate(sdk_of(repo), repo.card, set(repo.tree), lambda path: store.read_file(repo.tree, path))
    paused = bool(repo.run.get("paused")) and keep_paused
    run_kind = "restart" if kind == "restart" else "build"
    before = current(core, repo)
    settled = before.stage in SETTLED and not before.pending
    lag = core.durations.lag if lagged and settled and core.fidelity.old_stage_after_commit else 0.0
    repo.run = runtime.start(
        repo.run, run_kind, repo.head, outcome, repo.hardware, is_static(repo), core.durations, now, lag
    )
    repo.run["paused"] = paused
    if outcome[0] != "no_app_file":
        store.event(repo.id, kind, detail)


def _joins_start_in_progress(core: Core, repo: Repo) -> bool:
    view = current(core, repo)
    starting = view.pending or view.stage in ("BUILDING", "APP_STARTING")
    return starting and repo.run.get("target") == repo.head and not repo.run.get("paused")


def after_commit(core: Core, repo: Repo, result: CommitResult, card_changed: bool, hot_reload: bool) -> None:
    if repo.type != "space":
        return
    static = is_static(repo)
    now = core.store.clock.now()
    if hot_reload and runtime.hot_reload_allowed(
        repo.run, sdk_of(repo), repo.card, result.changed, result.deleted, static, core.durations, now
    ):
        files = [
            {"path": path, "created": path not in core.store.tree_at(repo, result.commit.parent or "")}
            for path in result.changed
        ]
        # A reloaded file that crashes makes the replica's reload stream end with an `exception`
        # event (contract §10); the Space keeps serving the code it had.
        crashes = [
            {"path": path, "line": line}
            for path in result.changed
            if (line := runtime.marker_line(core.store.read_file(repo.tree, path), runtime.RUNTIME_ERROR_MARKER))
        ]
        repo.run = {
            **repo.run,
            "target": repo.head,
            "hotReload": {"status": "created", "reloadId": repo.head, "files": files, "exceptions": crashes},
        }
        core.store.event(repo.id, "hot_reload", ", ".join(result.changed))
        return
    inputs = [path for path in (*result.changed, *result.deleted) if path in BUILD_FILES]
    if card_changed:
        inputs.append("README.md front matter")
    detail = f"build inputs changed: {', '.join(inputs)}" if inputs else "build inputs unchanged (cached layers)"
    start(core, repo, "build", f"{result.commit.id[:7]}: {detail}", lagged=True)
    if hot_reload:
        repo.run["hotReload"] = {"status": "canceled", "reloadId": repo.head, "files": []}
