"""The invariant, by generation: after apply, plan is empty and a second apply writes nothing.

Terraform's provider tests fail every step whose plan after apply is not empty; this is ours.
Hypothesis draws valid manifests over every field (labels, SDK and its version, visibility,
hardware, sleep time, dev mode, paused, variables, secrets from the environment and from files,
volumes of every type with and without readOnly, every card field, lifecycle, verify, source
excludes, files of every kind: text, binary, nested, empty, LFS by pattern and by size, matched by
the folder's .gitignore or by `exclude`), each applied on the local Hub in its default mode
(hub-contract §13 defaults) and again with every §13 switch flipped. Requests are counted on the
local Hub's own stats.
"""

from __future__ import annotations

import itertools
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reconciler.localhub import LocalHub
from reconciler.localhub.fidelity import Fidelity
from tests.conftest import CANARY, secret_file
from tests.e2e.conftest import run_cli
from tests.localhub.hubtools import admin
from tests.reliability.helpers import SECRET_ENV, writes

COLORS = ["red", "yellow", "green", "blue", "indigo", "purple", "pink", "gray"]
# Free and billed hardware (the local user `local` is PRO with a payment method).
HARDWARE = ["cpu-basic", "cpu-upgrade", "t4-small"]
# A fromFile secret's path, relative to each manifest (manifests/<name>/space.yaml); the file holds
# the file canary, so a leak of its value fails the check of every output.
SECRET_FILE = "../../secrets/key.txt"
words = st.text("abcdefghijklmnopqrstuvwxyz", min_size=1, max_size=8)
env_names = st.from_regex(r"[A-Z][A-Z0-9_]{0,6}", fullmatch=True)
plain = st.text(st.characters(codec="utf-8", exclude_categories=["Cs", "Cc"]), max_size=20)
counter = itertools.count()
RAN: dict[str, int] = {}


@st.composite
def volumes(draw: st.DrawFn) -> list[dict[str, Any]]:
    found = []
    for index, kind in enumerate(draw(st.lists(st.sampled_from(["bucket", "model", "dataset", "space"]), max_size=3))):
        volume: dict[str, Any] = {"type": kind, "source": f"local/{draw(words)}", "mountPath": f"/mnt/v{index}"}
        if kind == "bucket":
            read_only = draw(st.sampled_from([None, True, False]))
        else:  # a repository mount is read-only on the Hub; readOnly: false is refused at validate time
            read_only = draw(st.sampled_from([None, True]))
            if draw(st.booleans()):
                volume["revision"] = "main"
        if read_only is not None:
            volume["readOnly"] = read_only
        if draw(st.booleans()):
            volume["path"] = draw(words)
        found.append(volume)
    return found


@st.composite
def cards(draw: st.DrawFn, sdk: str) -> dict[str, Any]:
    optional: dict[str, st.SearchStrategy[Any]] = {
        "title": plain.filter(lambda t: t.strip() == t and t != ""),
        "emoji": st.sampled_from(["🚀", "🐳", "📄", "x"]),
        "colorFrom": st.sampled_from(COLORS),
        "colorTo": st.sampled_from(COLORS),
        "shortDescription": plain.map(lambda t: t.strip()[:60]).filter(bool),
        "license": st.sampled_from(["mit", "apache-2.0"]),
        "pinned": st.booleans(),
        "tags": st.lists(words, max_size=3, unique=True),
        "models": st.lists(words.map(lambda w: f"local/{w}"), max_size=2, unique=True),
        "datasets": st.lists(words.map(lambda w: f"local/{w}"), max_size=2, unique=True),
        "thumbnail": st.just("https://example.com/t.png"),
        "fullWidth": st.booleans(),
        "header": st.sampled_from(["mini", "default"]),
        "disableEmbedding": st.booleans(),
        "startupDurationTimeout": st.sampled_from(["30m", "1h"]),
        "hfOauth": st.booleans(),
        "customHeaders": st.just({"cross-origin-opener-policy": "same-origin"}),
        "basePath": st.just("/ui"),
        "suggestedHardware": st.sampled_from(HARDWARE),
        "suggestedStorage": st.sampled_from(["small", "medium", "large"]),
        "hfOauthScopes": st.lists(st.sampled_from(["openid", "profile", "email", "read-repos"]), unique=True),
        "hfOauthExpirationMinutes": st.integers(30, 43200),
        "hfOauthAuthorizedOrg": st.one_of(st.just("local-org"), st.just(["local-org", "acme"])),
        "preloadFromHub": st.lists(words.map(lambda w: f"local/{w}"), max_size=2, unique=True),
        "extra": st.dictionaries(st.sampled_from(["team", "owner_note"]), words, max_size=2),
    }
    if sdk == "docker":
        optional["appPort"] = st.integers(1024, 9000)
    if sdk == "gradio":
        optional["pythonVersion"] = st.sampled_from(["3.10", "3.12"])
    chosen = draw(st.lists(st.sampled_from(sorted(optional)), unique=True, max_size=len(optional)))
    return {key: draw(optional[key]) for key in sorted(chosen)}


# Over the Hub's 10 MB regular-file limit, so stored as LFS by size alone (hub-contract §8.2); text,
# so only the size decides. Drawn rarely: each one is uploaded once per example.
LARGE_TEXT = b"0123456789abcdef\n" * (10_500_000 // 17)


@st.composite
def files(draw: st.DrawFn) -> dict[str, bytes]:
    """Extra files beside the app's entry point: text, binary, empty, nested, LFS by pattern
    (.safetensors, in the Hub's default .gitattributes) and by size."""
    kinds = {
        "notes.txt": plain.map(str.encode),
        "data/blob.bin": st.binary(min_size=1, max_size=64),
        "data/deep/nested/empty.md": st.just(b""),
        "static/logo.png": st.binary(min_size=8, max_size=64).map(lambda b: b"\x89PNG\r\n\x1a\n" + b),
        "src/helper.py": st.just(b"def helper():\n    return 1\n"),
        "weights/model.safetensors": st.binary(min_size=1, max_size=64),
    }
    chosen = draw(st.lists(st.sampled_from(sorted(kinds)), unique=True))
    found = {path: draw(kinds[path]) for path in chosen}
    if draw(st.integers(0, 9)) == 0:
        found["data/large.txt"] = LARGE_TEXT
    return found


@st.composite
def left_out(draw: st.DrawFn) -> tuple[dict[str, bytes], list[str]]:
    """Files the source folder holds but the Space must not: matched by the folder's .gitignore
    (the Hub drops them; lint warns) or by `source.exclude`. Returns (files, exclude patterns)."""
    found: dict[str, bytes] = {}
    exclude: list[str] = []
    if draw(st.booleans()):
        found[".gitignore"] = b"*.log\ncache/\n"
        found["debug.log"] = b"ignored by .gitignore\n"
        found["cache/state.json"] = b"{}\n"
    if draw(st.booleans()):
        exclude = ["*.md", "drafts/"]
        found["NOTES.md"] = b"excluded\n"
        found["drafts/idea.py"] = b"print('draft')\n"
    return found, exclude


@st.composite
def spaces(draw: st.DrawFn) -> tuple[dict[str, Any], dict[str, bytes]]:
    """(manifest document, source files) of one valid Space."""
    sdk = draw(st.sampled_from(["gradio", "docker", "static"]))
    spec: dict[str, Any] = {"sdk": sdk, "visibility": draw(st.sampled_from(["public", "private", "protected"]))}
    app = {"gradio": {"app.py": b"import gradio as gr\n"}, "docker": {"Dockerfile": b"FROM python:3.12\n"}}
    ignored, exclude = draw(left_out())
    source = {**app.get(sdk, {"index.html": b"<p>hi</p>\n"}), **draw(files()), **ignored}
    if sdk == "gradio":
        spec["sdkVersion"] = draw(st.sampled_from(["6.15.1", "6.1.0"]))
    if sdk != "static":  # a static Space refuses hardware, volumes, dev mode and pause (validate)
        spec["hardware"] = draw(st.sampled_from(HARDWARE))
        if spec["hardware"] != "cpu-basic" and draw(st.booleans()):
            spec["sleepTime"] = draw(st.sampled_from([-1, 3600]))
        spec["devMode"] = draw(st.booleans())
        spec["paused"] = draw(st.booleans())
        spec["volumes"] = draw(volumes())
    spec["variables"] = draw(st.dictionaries(env_names.map(lambda n: f"V_{n}"), plain, max_size=2))
    spec["secrets"] = {
        f"S_{n}": {"fromFile": SECRET_FILE} if draw(st.booleans()) else {"fromEnv": SECRET_ENV}
        for n in draw(st.lists(env_names, max_size=2, unique=True))
    }
    for ref in spec["secrets"].values():
        if draw(st.booleans()):
            ref["preview"] = True
    spec["source"] = {"path": "app", **({"exclude": exclude} if exclude else {})}
    spec["card"] = draw(cards(sdk))
    spec["lifecycle"] = draw(lifecycles())
    if not spec.get("paused") and draw(st.booleans()):
        # Read from the (simulated) run log; endpoints and smoke calls need apps run for real.
        spec["verify"] = {"timeout": "60s", "logs": {"forbid": ["Traceback \\(most recent call last\\)"]}}
    name = f"conv-{next(counter)}"
    labels = draw(st.dictionaries(st.sampled_from(["team", "tier"]), words, max_size=2))
    metadata = {"namespace": "local", "name": name, **({"labels": labels} if labels else {})}
    document = {"apiVersion": "spaces-reconciler/v1", "kind": "Space", "metadata": metadata}
    return {**document, "spec": spec}, source


@st.composite
def lifecycles(draw: st.DrawFn) -> dict[str, Any]:
    """preventDestroy (a tag on the card), ignoreChanges over fields apply then leaves alone,
    ignoreLint (the .gitignore'd-files warning)."""
    lifecycle: dict[str, Any] = {}
    if draw(st.booleans()):
        lifecycle["preventDestroy"] = True
    if ignored := draw(st.lists(st.sampled_from(["spec.hardware", "spec.sleepTime", "spec.variables"]), unique=True)):
        lifecycle["ignoreChanges"] = ignored
    if draw(st.booleans()):
        lifecycle["ignoreLint"] = ["gitignored-files"]
    return lifecycle


@pytest.fixture
def converging(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv(SECRET_ENV, CANARY)
    monkeypatch.setenv("RECONCILE_FINGERPRINT_KEY", "convergence-fingerprint-key")
    yield tmp_path


def _check(hub: LocalHub, root: Path, drawn: list[tuple[dict[str, Any], dict[str, bytes]]]) -> None:
    work = root / f"example-{next(counter)}"
    (work / ".git").mkdir(parents=True)
    (work / "manifests").mkdir()
    secret_file(work / "secrets" / "key.txt")
    for document, source in drawn:
        folder = work / "manifests" / document["metadata"]["name"]
        for path, data in source.items():
            (folder / "app" / path).parent.mkdir(parents=True, exist_ok=True)
            (folder / "app" / path).write_bytes(data)
        (folder / "space.yaml").write_text(yaml.safe_dump(document, allow_unicode=True, sort_keys=False))
    cwd = os.getcwd()
    os.chdir(work)
    try:
        first = run_cli("apply", "--auto-approve", "--timeout", "60s", "manifests")
        assert first.code == 0, first.output
        after = run_cli("plan", "--detailed-exitcode", "manifests")
        assert after.code == 0, f"the plan after apply is not empty:\n{after.output}"
        admin(hub, "POST", "stats/reset")
        second = run_cli("apply", "--auto-approve", "--timeout", "60s", "manifests")
        assert second.code == 0, second.output
        written = writes(admin(hub, "GET", "stats"))
        assert written == {}, f"a second apply wrote {written}:\n{second.output}"
    finally:
        os.chdir(cwd)
        shutil.rmtree(work, ignore_errors=True)


MODES = ["default", "flipped"]


@pytest.fixture
def hub(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[LocalHub]:
    """A local Hub whose §13 switches the test sets itself (whatever RECONCILE_E2E_FIDELITY says)."""
    with LocalHub(tmp_path / "hub-state", build_seconds=0.3, restart_seconds=0.2, stage_lag_seconds=0.3) as local:
        monkeypatch.setenv("HF_ENDPOINT", local.endpoint)
        monkeypatch.setenv("HF_TOKEN", local.token)
        monkeypatch.setenv("RECONCILE_POLL_INTERVAL", "0.1")
        yield local


# Switches the flipped run leaves at their default, each with why (none today: secrets read
# back without their description now plan as "unknown here", never as changed).
NOT_FLIPPED_YET: tuple[str, ...] = ()


def _set_mode(hub: LocalHub, mode: str) -> None:
    """Every switch at its default (the evidence's column of §13), or every one flipped."""
    position = Fidelity() if mode == "default" else Fidelity.flipped()
    if mode == "flipped":
        position.update({name: getattr(Fidelity(), name) for name in NOT_FLIPPED_YET})
    admin(hub, "POST", "fidelity", position.as_dict())


@pytest.mark.timeout(900)
@pytest.mark.parametrize("mode", MODES)
@settings(max_examples=20, deadline=None, suppress_health_check=list(HealthCheck))
@given(drawn=st.lists(spaces(), min_size=1, max_size=2))
def test_generated_manifests_converge(hub: LocalHub, converging: Path, mode: str, drawn: Any) -> None:
    _set_mode(hub, mode)
    _check(hub, converging, drawn)
    RAN[mode] = RAN.get(mode, 0) + len(drawn)


@pytest.mark.slow
@pytest.mark.timeout(3600)
@pytest.mark.parametrize("mode", MODES)
@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(drawn=st.lists(spaces(), min_size=1, max_size=3))
def test_many_generated_manifests_converge(hub: LocalHub, converging: Path, mode: str, drawn: Any) -> None:
    _set_mode(hub, mode)
    _check(hub, converging, drawn)
    RAN[f"slow-{mode}"] = RAN.get(f"slow-{mode}", 0) + len(drawn)


@pytest.fixture(scope="module", autouse=True)
def _report_the_figure(request: pytest.FixtureRequest) -> Iterator[None]:
    """How many generated manifests ran, per mode, on pytest's terminal."""
    yield
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    if RAN and capture is not None:
        with capture.global_and_fixture_disabled():
            print(f"\ngenerated manifests applied and checked: {RAN}")
