"""The simulated Space runtime: a stage machine evaluated lazily from timestamps.

A run is recorded when it starts (a build or a restart of the built image); its stage at
any moment follows from the elapsed simulated time, so nothing ticks in the background.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from reconciler.localhub.card import version_at_least
from reconciler.localhub.clock import iso

BUILD_ERROR_MARKER = "localhub: build-error"
RUNTIME_ERROR_MARKER = "localhub: runtime-error"
BUILD_INPUTS = ("requirements.txt", "Dockerfile")
HOT_RELOAD_MIN_GRADIO = (6, 1)
REPLICA = "r1"

Run = dict[str, Any]


@dataclass(frozen=True)
class Durations:
    build: float
    restart: float
    # How long the old stage stays after a build or restart is requested (hub-contract §13,
    # "stage right after a commit"); used only while `Fidelity.old_stage_after_commit` is on.
    lag: float = 0.0


@dataclass(frozen=True)
class View:
    stage: str
    sha: str | None
    hardware: str | None
    built: bool  # an image of run["target"] exists, so a settings restart can skip the build
    error: str | None
    pending: bool = False  # a start was requested but the Hub still shows the previous state


def app_file(sdk: str, card: dict[str, Any]) -> str:
    if sdk == "docker":
        return "Dockerfile"
    default = "index.html" if sdk == "static" else "app.py"
    value = card.get("app_file")
    return value if isinstance(value, str) and value else default


def evaluate(sdk: str, card: dict[str, Any], files: set[str], read: Callable[[str], bytes]) -> tuple[str, str]:
    """(outcome, detail) of building and starting a tree: ok, no_app_file, build_error, runtime_error."""
    entry = app_file(sdk, card)
    if entry not in files:
        return "no_app_file", f"No application file: {entry} is missing"
    for path in BUILD_INPUTS:
        if path in files and (line := marker_line(read(path), BUILD_ERROR_MARKER)):
            return "build_error", f"{path}:{line}: the build failed ({BUILD_ERROR_MARKER})"
    if line := marker_line(read(entry), RUNTIME_ERROR_MARKER):
        return "runtime_error", f"{entry}:{line}: the application crashed ({RUNTIME_ERROR_MARKER})"
    return "ok", ""


def marker_line(data: bytes, marker: str) -> int:
    for number, line in enumerate(data.decode("utf-8", "replace").splitlines(), start=1):
        if marker in line:
            return number
    return 0


def empty_run(outcome: str = "no_app_file", detail: str = "") -> Run:
    return {
        "kind": "none",
        "target": None,
        "start": 0.0,
        "outcome": outcome,
        "detail": detail,
        "hardware": None,
        "prevSha": None,
        "prevHardware": None,
        "paused": False,
        "hotReload": None,
        "lastBuild": None,
        "prevStage": None,
        "prevError": None,
    }


def view(run: Run, static: bool, durations: Durations, now: float) -> View:
    prev_sha, prev_hw = run["prevSha"], run["prevHardware"]
    if run["kind"] == "none" or run["outcome"] == "no_app_file":
        result = View("NO_APP_FILE", prev_sha, None, False, None)
    else:
        build = 0.0 if static or run["kind"] == "restart" else durations.build
        start = 0.0 if static else durations.restart
        elapsed = now - run["start"]
        if elapsed < 0:
            # The start is requested but not begun: the Hub still shows the previous state.
            built = run["kind"] == "restart"
            result = View(run.get("prevStage") or "NO_APP_FILE", prev_sha, prev_hw, built, run.get("prevError"), True)
        elif elapsed < build:
            result = View("BUILDING", prev_sha, prev_hw, False, None)
        elif run["outcome"] == "build_error":
            result = View("BUILD_ERROR", prev_sha, None, False, f"Build failed: {run['detail']}")
        elif elapsed < build + start:
            result = View("APP_STARTING", prev_sha, prev_hw, True, None)
        elif run["outcome"] == "runtime_error":
            message = f"Exit code: 1. Reason: {run['detail']}"
            result = View("RUNTIME_ERROR", run["target"], run["hardware"], True, message)
        else:
            result = View("RUNNING", run["target"], run["hardware"], True, None)
    if run["paused"]:
        return View("PAUSED", result.sha, None, result.built, None)
    return result


def start(
    run: Run,
    kind: str,
    target: str | None,
    outcome: tuple[str, str],
    hardware: str | None,
    static: bool,
    durations: Durations,
    now: float,
    lag: float = 0.0,
) -> Run:
    """The run that replaces `run` when a build ("build") or a restart ("restart") is requested now;
    it begins `lag` seconds later, the previous state showing until then."""
    current = view(run, static, durations, now)
    begin = now + lag
    new = {
        "kind": kind,
        "target": target,
        "start": begin,
        "outcome": outcome[0],
        "detail": outcome[1],
        "hardware": hardware,
        "prevSha": current.sha,
        "prevHardware": current.hardware,
        "paused": False,
        "hotReload": None,
        "lastBuild": run.get("lastBuild"),
        "prevStage": current.stage,
        "prevError": current.error,
    }
    if kind == "build" and outcome[0] != "no_app_file":
        new["lastBuild"] = {"start": begin, "target": target, "outcome": outcome[0], "detail": outcome[1]}
    return new


def hot_reload_allowed(
    run: Run,
    sdk: str,
    card: dict[str, Any],
    changed: list[str],
    deleted: list[str],
    static: bool,
    durations: Durations,
    now: float,
) -> bool:
    if sdk != "gradio" or deleted or not changed or not all(path.endswith(".py") for path in changed):
        return False
    if not version_at_least(card.get("sdk_version", ""), HOT_RELOAD_MIN_GRADIO):
        return False
    current = view(run, static, durations, now)
    return current.stage == "RUNNING" and not current.pending


def runtime_json(
    run: Run,
    *,
    static: bool,
    durations: Durations,
    now: float,
    requested: str,
    sleep: int | None,
    dev_mode: bool,
    volumes: list[dict[str, Any]] | None,
    subdomain: str,
    with_sha: bool,
) -> dict[str, Any]:
    current = view(run, static, durations, now)
    replicas: dict[str, int] = {"requested": 1}
    if current.stage == "RUNNING":
        replicas["current"] = 1
    hot = run.get("hotReload")
    data: dict[str, Any] = {"stage": current.stage, "hardware": {"current": current.hardware, "requested": requested}}
    if static:
        # Static Spaces have no hardware, sleep time, dev mode or domains of their own on the Hub.
        data["hardware"] = {"current": None, "requested": None}
    data["storage"] = None
    if not static:
        data.update(gcTimeout=sleep, devMode=dev_mode, domains=[{"domain": f"{subdomain}.hf.space", "stage": "READY"}])
    data.update(
        replicas=replicas,
        hotReloading={"status": hot["status"], "replicaStatuses": [[REPLICA, hot["status"]]]} if hot else None,
        volumes=[full_volume(v) for v in volumes] if volumes else None,
        errorMessage=current.error,
    )
    if with_sha:
        data["sha"] = current.sha
    return data


def full_volume(volume: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": volume.get("type", "model"),
        "source": volume["source"],
        "mountPath": volume["mountPath"],
        "revision": volume.get("revision"),
        "readOnly": volume.get("readOnly", volume.get("type") != "bucket"),
        "path": volume.get("path"),
    }


def build_log(run: Run, durations: Durations, now: float) -> list[tuple[float, str]]:
    build = run.get("lastBuild")
    if not build:
        return []
    t0, sha = build["start"], build["target"] or ""
    lines = [
        (t0, f"===== Build Queued at {iso(t0)} / Commit SHA: {sha[:7]} =====\n"),
        (t0, "--> FROM docker.io/library/python:3.10\n"),
        (t0 + durations.build * 0.3, "--> RUN pip install --no-cache-dir -r requirements.txt\n"),
    ]
    done = t0 + durations.build
    if build["outcome"] == "build_error":
        lines.append((done, f"ERROR: failed to build the image: {build['detail']}\n"))
    else:
        lines += [(done, "--> Pushing image\n"), (done, "DONE 0.0s\n")]
    return [(ts, text) for ts, text in lines if ts <= now]


def run_log(run: Run, static: bool, durations: Durations, now: float) -> list[tuple[float, str]]:
    current = view(run, static, durations, now)
    if current.stage not in ("RUNNING", "RUNTIME_ERROR") and not (current.stage == "PAUSED" and current.built):
        return []
    build = 0.0 if static or run["kind"] == "restart" else durations.build
    t0 = run["start"] + build + (0.0 if static else durations.restart)
    lines = [(t0, f"===== Application Startup at {iso(t0)} =====\n")]
    if run["outcome"] == "runtime_error":
        lines += [(t0, "Traceback (most recent call last):\n"), (t0, f"RuntimeError: {run['detail']}\n")]
    else:
        lines.append((t0, "* Running on local URL:  http://0.0.0.0:7860\n"))
    return [(ts, text) for ts, text in lines if ts <= now]
