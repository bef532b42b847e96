"""Pure verification checks: magic bytes, run log windows, expectations, and the runner's order
and evidence over plain in-memory ports (no Hub, no app)."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from reconciler.errors import Location
from reconciler.model import DesiredSpace, Expectation, ExpectKind, SmokeCall, VerifySpec
from reconciler.render.verify_text import render_markdown, render_text
from reconciler.verify import expect, logs, sniff
from reconciler.verify.api import ApiUnreachable, CallFailed, CallTimedOut
from reconciler.verify.outcomes import Check, Problem, Status
from reconciler.verify.runner import Redactor, verify_space
from tests.conftest import CANARY

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01"


@pytest.mark.parametrize(
    ("head", "kind"),
    [
        (PNG, "image/png"),
        (JPEG, "image/jpeg"),
        (b"RIFF\x24\x00\x00\x00WEBPVP8 ", "image/webp"),
        (b"RIFF\x24\x00\x00\x00WAVEfmt ", "audio/wav"),
        (b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00", "video/mp4"),
        (b"glTF\x02\x00\x00\x00", "model/gltf-binary"),
        (b"GIF89a", None),
        (b"RIFF\x24\x00\x00\x00AVI LIST", None),
        (b"", None),
    ],
)
def test_sniff_by_magic_bytes(head: bytes, kind: str | None) -> None:
    assert sniff.kind_of(head) == kind


def test_log_window_starts_at_the_latest_boot() -> None:
    lines = [
        "===== Application Startup at 2026-01-01 00:00:00 =====\n",
        "falling back to CPU\n",
        "===== Application Startup at 2026-01-01 01:00:00 =====\n",
        "Model loaded\n",
    ]
    window = logs.since_boot(lines)
    assert window == ["Model loaded"]
    assert logs.forbidden("falling back to CPU", window) == []
    assert logs.forbidden(r"falling back", lines) == ["falling back to CPU\n"]
    assert logs.unseen(["Model loaded", "ready"], window) == ["ready"]


def test_expectations(tmp_path: Path) -> None:
    png, jpeg = tmp_path / "a.png", tmp_path / "b.png"
    png.write_bytes(PNG)
    jpeg.write_bytes(JPEG)  # named .png: only the bytes count
    mime = Expectation(kind=ExpectKind.MIME, value="image/png")
    assert expect.judge(mime, str(png))[0] is None
    problem, evidence = expect.judge(mime, str(jpeg))
    assert problem is Problem.WRONG_KIND and evidence.output_kind == "image/jpeg"
    assert evidence.head_hex is not None and evidence.head_hex.startswith("ff d8 ff")
    assert expect.judge(mime, ("text", str(png)))[0] is None  # several outputs: the first file
    assert expect.judge(mime, "no file here")[0] is Problem.NOT_A_FILE
    contains = Expectation(kind=ExpectKind.CONTAINS, value="Hello")
    assert expect.judge(contains, "Hello, world")[0] is None
    assert expect.judge(contains, "Bye")[0] is Problem.MISMATCH
    assert expect.judge(Expectation(kind=ExpectKind.EQUALS, value=[1, "a"]), (1, "a"))[0] is None
    subset = Expectation(kind=ExpectKind.JSON, value={"ok": True, "meta": {"n": 2}})
    assert expect.judge(subset, {"ok": True, "meta": {"n": 2, "x": 1}, "y": 0})[0] is None
    assert expect.judge(subset, '{"ok": true, "meta": {"n": 2}}')[0] is None
    assert expect.judge(subset, {"ok": 1, "meta": {"n": 2}})[0] is Problem.MISMATCH
    assert expect.judge(Expectation(kind=ExpectKind.TYPE, value="int"), True)[0] is Problem.MISMATCH
    assert expect.judge(Expectation(kind=ExpectKind.TYPE, value="list"), (1,))[0] is None
    assert expect.judge(Expectation(kind=ExpectKind.TYPE, value="null"), None)[0] is None
    assert expect.judge(None, object())[0] is None


@dataclass
class State:
    stage: str | None = "RUNNING"
    host: str | None = "http://app"


@dataclass
class FakeLive:
    state: State = field(default_factory=State)
    logs: list[list[str]] = field(default_factory=lambda: [["===== Application Startup at x =====", "ok"]])
    reads: int = 0

    def space(self, space_id: str) -> State:
        return self.state

    def run_log(self, space_id: str) -> list[str]:
        self.reads += 1
        return self.logs[min(self.reads - 1, len(self.logs) - 1)]


@dataclass
class FakeApi:
    names: tuple[str, ...] = ("/predict",)
    answers: dict[str, Any] = field(default_factory=dict)
    calls: list[tuple[str, Any]] = field(default_factory=list)
    closed: bool = False

    def endpoints(self) -> tuple[str, ...]:
        return self.names

    def call(self, api: str, args: Any, timeout_s: float) -> Any:
        self.calls.append((api, args))
        answer = self.answers.get(api)
        if isinstance(answer, Exception):
            raise answer
        return answer

    def close(self) -> None:
        self.closed = True


def space(verify: VerifySpec) -> DesiredSpace:
    return DesiredSpace(id="acme/demo", source_ref=Location(file="m.yaml", line=1, col=1), sdk="gradio", verify=verify)


def run(verify: VerifySpec, live: FakeLive, api: FakeApi | None = None, secrets: tuple[str, ...] = ()) -> Any:
    ticks = itertools.count()

    def connect(host: str, folder: str) -> FakeApi:
        if api is None:
            raise ApiUnreachable("ConnectError: refused")
        return api

    return verify_space(
        space(verify), live, connect, Redactor(secrets), clock=lambda: float(next(ticks)), sleep=lambda s: None
    )


def test_not_running_stops_before_any_other_check() -> None:
    result = run(VerifySpec(forbid=("x",)), FakeLive(State(stage="RUNTIME_ERROR")))
    assert [(r.check, r.status, r.problem) for r in result.results] == [
        (Check.RUNNING, Status.FAILED, Problem.NOT_RUNNING)
    ]
    assert result.failed


def test_checks_in_order_with_evidence() -> None:
    live = FakeLive(logs=[["===== Application Startup at x =====", "warming up"],
                          ["===== Application Startup at x =====", "Model loaded", "falling back to CPU"]])  # fmt: skip
    api = FakeApi(
        names=("/predict", "/other"),
        answers={"/predict": "Hello there", "/boom": CallFailed("AppError: out of memory"), "/slow": CallTimedOut()},
    )
    verify = VerifySpec(
        timeout_s=100,
        expect=("Model loaded",),
        forbid=("falling back to CPU",),
        endpoints=("/predict", "/generate"),
        smoke=(
            SmokeCall(api="/predict", args={"name": "x"}, expect=Expectation(kind=ExpectKind.CONTAINS, value="Hello")),
            SmokeCall(api="/boom", args=("a",)),
            SmokeCall(api="/slow"),
        ),
    )
    result = run(verify, live, api)
    got = [(r.check, r.target, r.status, r.problem) for r in result.results]
    assert got == [
        (Check.RUNNING, "RUNNING", Status.PASSED, None),
        (Check.LOGS_EXPECT, "Model loaded", Status.PASSED, None),
        (Check.ENDPOINTS, "/predict, /generate", Status.FAILED, Problem.ENDPOINTS_MISSING),
        (Check.SMOKE, "/predict", Status.PASSED, None),
        (Check.SMOKE, "/boom", Status.FAILED, Problem.CALL_RAISED),
        (Check.SMOKE, "/slow", Status.FAILED, Problem.CALL_TIMED_OUT),
        (Check.LOGS_FORBID, "falling back to CPU", Status.FAILED, Problem.LOG_MATCHED),
    ]
    assert result.results[2].evidence.missing == ("/generate",)
    assert result.results[4].evidence.exception == "AppError: out of memory"
    assert result.results[4].args == ["a"]
    assert result.results[6].evidence.lines == ("falling back to CPU",)
    assert api.calls == [("/predict", {"name": "x"}), ("/boom", ("a",)), ("/slow", {})] and api.closed


def test_a_starting_space_is_waited_for() -> None:
    class Starting(FakeLive):
        def space(self, space_id: str) -> State:
            self.reads += 1
            return State(stage="APP_STARTING" if self.reads < 3 else "RUNNING")

    live = Starting()
    result = run(VerifySpec(), live)
    assert [(r.check, r.status) for r in result.results] == [(Check.RUNNING, Status.PASSED)]
    assert live.reads == 3


def test_expected_log_never_seen_fails_at_the_deadline() -> None:
    result = run(VerifySpec(timeout_s=5, expect=("ready",)), FakeLive())
    assert [(r.check, r.problem) for r in result.results][-1] == (Check.LOGS_EXPECT, Problem.LOG_NOT_SEEN)


def test_unreachable_api_is_a_failed_check_not_a_crash() -> None:
    result = run(VerifySpec(endpoints=("/predict",)), FakeLive())
    last = result.results[-1]
    assert (last.check, last.problem, last.evidence.exception) == (
        Check.ENDPOINTS,
        Problem.API_UNREACHABLE,
        "ConnectError: refused",
    )


def test_secret_values_are_redacted_from_every_evidence_text() -> None:
    live = FakeLive(logs=[["===== Application Startup at x =====", f"token is {CANARY}"]])
    api = FakeApi(answers={"/predict": CallFailed(f"AppError: bad key {CANARY}"), "/echo": f"got {CANARY}"})
    verify = VerifySpec(
        forbid=("token is",),
        smoke=(SmokeCall(api="/predict"), SmokeCall(api="/echo", expect=Expectation(kind=ExpectKind.EQUALS, value=1))),
    )
    result = run(verify, live, api, secrets=(CANARY,))
    texts = repr(result)
    assert CANARY not in texts
    assert "(sensitive)" in result.results[1].evidence.exception  # type: ignore[operator]
    assert result.results[2].evidence.preview == "got (sensitive)"
    assert result.results[3].evidence.lines == ("token is (sensitive)",)


def test_a_fleet_without_spec_verify_says_there_is_nothing_to_verify() -> None:
    assert render_text([]) == "No Space in these manifests declares spec.verify: nothing to verify.\n"
    assert "nothing to verify" in render_markdown([]) and "| Space |" not in render_markdown([])
