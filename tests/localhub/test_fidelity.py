"""The §13 switches (reconciler/localhub/fidelity.py): defaults from evidence, each settable both ways."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import httpx2
import pytest

from reconciler.localhub.admin import admin_headers
from reconciler.localhub.fidelity import SWITCHES, Fidelity

from .hubtools import GRADIO_APP, LOCAL_USER, admin, advance, api, make_gradio_space, settle, switch

SPACE = f"{LOCAL_USER}/fidelity"


def test_defaults_are_the_evidence_column_of_section_13(local_hub: Any) -> None:
    assert admin(local_hub, "GET", "fidelity") == {
        "runtime_sha": False,
        "old_stage_after_commit": True,
        "secret_metadata_on_read": True,
        "inline_binary_refused": True,
        "visibility_on_read": False,
        "repo_mounts_read_only": True,
        "rate_limit_headers": True,
        "per_action_429_in_api_bucket": True,
        "case_insensitive_ids": True,
        "concurrent_create_conflicts": True,
        "paid_hardware_needs_billing": True,
        "dev_mode_needs_plan": True,
        "static_space_rules": True,
        "full_listing_without_expand": False,
    }


def test_flipped_turns_every_switch_the_other_way() -> None:
    default, flipped = Fidelity().as_dict(), Fidelity.flipped().as_dict()
    assert set(default) == set(SWITCHES)
    assert all(flipped[name] is not default[name] for name in SWITCHES)


def test_the_readme_lists_every_switch_with_its_default() -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("### The local Hub") : readme.index("#### Running gradio apps")]
    rows = dict(re.findall(r"^\| `(\w+)` \| `(true|false)`", section, flags=re.MULTILINE))
    assert rows == {name: str(value).lower() for name, value in Fidelity().as_dict().items()}


@pytest.mark.parametrize(
    ("body", "problem"),
    [({"no_such_switch": True}, "unknown switch"), ({"runtime_sha": "yes"}, "takes a bool")],
)
def test_a_bad_switch_is_refused_and_nothing_changes(local_hub: Any, body: dict[str, Any], problem: str) -> None:
    response = httpx2.post(
        f"{local_hub.endpoint}/_localhub/fidelity",
        json={"runtime_sha": True, **body},
        headers=admin_headers(local_hub.token),
    )
    assert response.status_code == 400 and problem in response.text
    assert admin(local_hub, "GET", "fidelity")["runtime_sha"] is False


@pytest.mark.parametrize("runtime_sha", [False, True])
def test_runtime_sha_only_when_switched_on(local_hub: Any, runtime_sha: bool) -> None:
    switch(local_hub, runtime_sha=runtime_sha)
    client = api(local_hub)
    sha = make_gradio_space(client, SPACE)
    settle(local_hub)
    raw = client.get_space_runtime(SPACE).raw
    assert raw["stage"] == "RUNNING"
    assert raw.get("sha") == (sha if runtime_sha else None)
    assert ("sha" in raw) is runtime_sha


@pytest.mark.parametrize("old_stage", [True, False])
def test_the_old_runtime_error_shows_after_a_fixing_commit_until_the_lag_passes(
    local_hub: Any, old_stage: bool
) -> None:
    switch(local_hub, old_stage_after_commit=old_stage)
    client = api(local_hub)
    make_gradio_space(client, SPACE, app=GRADIO_APP + b"# localhub: runtime-error\n")
    settle(local_hub)
    assert client.get_space_runtime(SPACE).stage == "RUNTIME_ERROR"
    client.upload_file(path_or_fileobj=GRADIO_APP, path_in_repo="app.py", repo_id=SPACE, repo_type="space")
    stage = client.get_space_runtime(SPACE).stage
    assert stage == ("RUNTIME_ERROR" if old_stage else "BUILDING")
    advance(local_hub, 3.0)
    assert client.get_space_runtime(SPACE).stage == "BUILDING"


@pytest.mark.parametrize("metadata", [True, False])
def test_secret_description_and_date_read_back_only_when_switched_on(local_hub: Any, metadata: bool) -> None:
    switch(local_hub, secret_metadata_on_read=metadata)
    client = api(local_hub)
    make_gradio_space(client, SPACE)
    client.add_space_secret(SPACE, "TOKEN", "value", description="fp:v1:abc")
    [secret] = client.get_space_secrets(SPACE).values()
    assert secret.key == "TOKEN"
    if metadata:
        assert secret.description == "fp:v1:abc" and secret.updated_at is not None
    else:
        assert secret.description is None and secret.updated_at is None
