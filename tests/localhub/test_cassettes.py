"""Replay real recordings of the production Hub against a fresh local Hub.

Every interaction of every cassette in ``cassettes/`` (VCR YAML recorded against
huggingface.co) is sent, in order, to a fresh local Hub. The host becomes the local
endpoint, the recording's user ``user`` becomes the local user ``local``, and the local
write token is sent. The local answer must have the recorded status code and the recorded
response *shape*: the same JSON keys, recursively, with the same value types. Ids, shas,
dates and URLs may differ in value but must keep their format (40-hex stays 40-hex, a date
ending in ``Z`` stays one, a URL stays a URL). A few enumeration-like fields (``stage``,
``uploadMode``, ``shouldIgnore``, ``success``) must match in value, because they are what
the recorded conversation is about.

Keys that the recording lacks but the local Hub sends are accepted only where
hub-contract.md documents them as part of the newer Hub's answer (e.g. the runtime's
``sha``, ``hotReloading``, ``volumes``, ``errorMessage``); any other extra key is a mismatch.

Preconditions. Two recordings depend on state that existed on the Hub before recording
started; the replay recreates exactly that state (and nothing more) before replaying:
- ``space-test_manage_secrets``: the first ``POST /api/repos/create`` was answered 409
  "You already created this space repo", so ``user/tmp_test_space`` already existed.
- ``space-test_static_space_runtime``: ``GET /api/spaces/victor/static-space/runtime`` was
  answered 200 ``RUNNING`` with no hardware, so a public, running static Space
  ``victor/static-space`` owned by another user existed.

Run with ``-s`` to see the match count line (``cassette replay: N/M interactions matched``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx2
import pytest
import yaml

from reconciler.localhub import LocalHub

from .hubtools import LOCAL_USER, add_token, api, settle

CASSETTE_DIR = Path(__file__).parent / "cassettes"
CASSETTES = sorted(CASSETTE_DIR.glob("*.yaml"))
RECORDED_HOST = "https://huggingface.co"
RECORDED_USER = "user"

# Keys the recordings (March 2025) lack but hub-contract.md documents for the current Hub.
# Context is the key under which the dict was found ("" = the response root).
DOCUMENTED_EXTRA_KEYS: dict[str, set[str]] = {
    "runtime": {"sha", "hotReloading", "volumes", "errorMessage"},
    "commit": {"pullRequestUrl"},
}
# Fields whose values are enumerations and must match exactly.
VALUE_KEYS = {"stage", "uploadMode", "shouldIgnore", "success", "xetEnabled"}

SHA_RE = re.compile(r"^[0-9a-f]{40}$")
OBJECT_ID_RE = re.compile(r"^[0-9a-f]{24}$")
DATE_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")
URL_RE = re.compile(r"^https?://")


def _string_format(value: str) -> str:
    for name, rx in (("sha", SHA_RE), ("object-id", OBJECT_ID_RE), ("date", DATE_RE), ("url", URL_RE)):
        if rx.match(value):
            return name
    return "text"


def _type_name(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def compare_shape(recorded: Any, local: Any, path: str = "$", context: str = "") -> list[str]:
    """Differences between two JSON values in structure (keys, types, string formats)."""
    rt, lt = _type_name(recorded), _type_name(local)
    if rt != lt:
        return [f"{path}: recorded {rt} {recorded!r:.60}, local {lt} {local!r:.60}"]
    problems: list[str] = []
    if isinstance(recorded, dict):
        allowed_extra = DOCUMENTED_EXTRA_KEYS.get(context, set())
        for key in recorded:
            if key not in local:
                problems.append(f"{path}.{key}: missing in local response")
        for key in local:
            if key not in recorded and key not in allowed_extra:
                problems.append(f"{path}.{key}: extra key in local response ({local[key]!r:.60})")
        for key in recorded:
            if key in local:
                problems += compare_shape(recorded[key], local[key], f"{path}.{key}", key)
                if key in VALUE_KEYS and recorded[key] != local[key]:
                    problems.append(f"{path}.{key}: recorded {recorded[key]!r}, local {local[key]!r}")
    elif isinstance(recorded, list):
        if bool(recorded) != bool(local):
            problems.append(f"{path}: recorded {len(recorded)} items, local {len(local)}")
        elif recorded:
            # Items of a recorded list share one shape: check every local item against the first.
            for i, item in enumerate(local):
                problems += compare_shape(recorded[0], item, f"{path}[{i}]", context)
    elif isinstance(recorded, str):
        rf, lf = _string_format(recorded), _string_format(local)
        if rf != lf:
            problems.append(f"{path}: recorded a {rf} string {recorded!r:.60}, local a {lf} {local!r:.60}")
    return problems


def _root_context(method: str, uri: str) -> str:
    if uri.endswith("/runtime") or re.search(r"/(pause|restart|hardware|sleeptime|dev-mode)$", uri):
        return "runtime"
    if "/commit/" in uri and method == "POST":
        return "commit"
    return ""


@dataclass
class Outcome:
    cassette: str
    index: int
    request: str
    problems: list[str] = field(default_factory=list)

    @property
    def matched(self) -> bool:
        return not self.problems


def _adapt_uri(uri: str, endpoint: str) -> str:
    assert uri.startswith(RECORDED_HOST), uri
    path = uri[len(RECORDED_HOST) :]
    path = path.replace(f"/spaces/{RECORDED_USER}/", f"/spaces/{LOCAL_USER}/")
    return endpoint + path


def _adapt_body(body: str | None) -> bytes | None:
    if body is None:
        return None
    try:
        data = json.loads(body)
    except ValueError:
        return body.encode()  # NDJSON commit payloads carry no namespace
    if isinstance(data, dict):
        if data.get("organization") == RECORDED_USER:
            data["organization"] = LOCAL_USER
        for key in ("repository", "fromRepo", "toRepo"):
            if isinstance(data.get(key), str) and data[key].startswith(f"{RECORDED_USER}/"):
                data[key] = LOCAL_USER + data[key][len(RECORDED_USER) :]
    return json.dumps(data).encode()


SENT_HEADERS = {"accept", "content-type", "x-amzn-trace-id"}


def _seed_existing_user_space(hub: LocalHub) -> None:
    api(hub).create_repo(f"{LOCAL_USER}/tmp_test_space", repo_type="space", space_sdk="gradio", private=True)


def _seed_public_static_space(hub: LocalHub) -> None:
    token = add_token(hub, "hf_victor_write_token_0001", "victor", role="write")
    client = api(hub, token)
    client.create_repo("victor/static-space", repo_type="space", space_sdk="static", private=False)
    client.upload_file(
        path_or_fileobj=b"<html><body>static</body></html>\n",
        path_in_repo="index.html",
        repo_id="victor/static-space",
        repo_type="space",
    )
    settle(hub)


PRECONDITIONS: dict[str, Callable[[LocalHub], None]] = {
    "space-test_manage_secrets.yaml": _seed_existing_user_space,
    "space-test_static_space_runtime.yaml": _seed_public_static_space,
}


def replay(cassette: Path, hub: LocalHub) -> list[Outcome]:
    data = yaml.safe_load(cassette.read_text())
    seed = PRECONDITIONS.get(cassette.name)
    if seed is not None:
        seed(hub)
    outcomes: list[Outcome] = []
    with httpx2.Client(timeout=30) as client:
        for index, interaction in enumerate(data["interactions"]):
            req, resp = interaction["request"], interaction["response"]
            headers = {k: v[0] for k, v in (req.get("headers") or {}).items() if k.lower() in SENT_HEADERS}
            headers["Authorization"] = f"Bearer {hub.token}"
            url = _adapt_uri(req["uri"], hub.endpoint)
            outcome = Outcome(cassette.name, index, f"{req['method']} {req['uri'][len(RECORDED_HOST) :]}")
            r = client.request(req["method"], url, content=_adapt_body(req["body"]), headers=headers)
            expected_status = resp["status"]["code"]
            if r.status_code != expected_status:
                outcome.problems.append(f"status: recorded {expected_status}, local {r.status_code}: {r.text[:200]}")
            recorded_body = resp["body"]["string"]
            try:
                recorded_json = json.loads(recorded_body)
            except ValueError:
                recorded_json = None
            if recorded_json is None:
                if r.text.strip() != recorded_body.strip():
                    outcome.problems.append(f"body: recorded text {recorded_body!r:.60}, local {r.text!r:.60}")
            else:
                try:
                    local_json = r.json()
                except ValueError:
                    outcome.problems.append(f"body: recorded JSON, local not JSON: {r.text!r:.80}")
                else:
                    context = _root_context(req["method"], req["uri"])
                    outcome.problems += compare_shape(recorded_json, local_json, "$", context)
            recorded_ctype = (resp["headers"].get("Content-Type") or [""])[0].split(";")[0]
            local_ctype = r.headers.get("content-type", "").split(";")[0]
            if recorded_ctype != local_ctype:
                outcome.problems.append(f"content-type: recorded {recorded_ctype}, local {local_ctype}")
            outcomes.append(outcome)
    return outcomes


def _format(outcomes: list[Outcome]) -> str:
    lines = []
    for o in outcomes:
        if not o.matched:
            lines.append(f"{o.cassette} #{o.index} {o.request}")
            lines += [f"    {p}" for p in o.problems]
    return "\n".join(lines)


@pytest.mark.parametrize("cassette", CASSETTES, ids=[c.stem for c in CASSETTES])
def test_cassette_replays_with_same_status_and_shape(cassette: Path, tmp_path: Path) -> None:
    with LocalHub(tmp_path / "state", port=0) as hub:
        outcomes = replay(cassette, hub)
    assert outcomes, f"{cassette.name} has no interactions"
    assert all(o.matched for o in outcomes), _format(outcomes)


def test_cassette_replay_summary(tmp_path: Path) -> None:
    """All cassettes, each against its own fresh Hub: prints and asserts the match count."""
    assert len(CASSETTES) >= 5, f"expected the recorded cassettes in {CASSETTE_DIR}"
    outcomes: list[Outcome] = []
    for cassette in CASSETTES:
        with LocalHub(tmp_path / cassette.stem, port=0) as hub:
            outcomes += replay(cassette, hub)
    matched = sum(o.matched for o in outcomes)
    print(f"\ncassette replay: {matched}/{len(outcomes)} interactions matched across {len(CASSETTES)} cassettes")
    assert matched == len(outcomes), _format(outcomes)


def test_shape_comparison_detects_differences() -> None:
    """The comparator itself must be able to fail (guards against a vacuous replay)."""
    recorded = {"stage": "BUILDING", "hardware": {"current": None, "requested": "cpu-basic"}, "gcTimeout": 1}
    assert compare_shape(recorded, json.loads(json.dumps(recorded))) == []
    assert compare_shape(recorded, {**recorded, "stage": "RUNNING"})  # enumerated value differs
    assert compare_shape(recorded, {**recorded, "hardware": {"current": "cpu-basic", "requested": "cpu-basic"}})
    assert compare_shape(recorded, {k: v for k, v in recorded.items() if k != "gcTimeout"})
    assert compare_shape(recorded, {**recorded, "surprise": 1})
    assert compare_shape(recorded, {**recorded, "gcTimeout": "1"})
    assert compare_shape({"d": "2025-03-07T12:24:18.657Z"}, {"d": "2025-03-07T12:24:18+00:00"})
    assert compare_shape({"u": "https://huggingface.co/x"}, {"u": "/x"})
    assert compare_shape({"sha": "a" * 40}, {"sha": "main"})
    assert compare_shape([{"a": 1}], [])
    assert compare_shape({"extra": {"sha": "a" * 40}}, {"extra": {"sha": "b" * 40}}) == []
    assert compare_shape({"stage": "RUNNING"}, {"stage": "RUNNING", "sha": "a" * 40}, context="runtime") == []
