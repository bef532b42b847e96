"""The Hub's rules for Space settings and what it reads back (hub-contract §13), through the real client.

Static Spaces refuse container settings (400) and start with index.html and style.css; paid
hardware needs the namespace's payment method (402); dev mode needs a PRO / Team / Enterprise
plan; protected reads as private; repository mounts read back read-only. Each has a switch.
"""

from __future__ import annotations

from typing import Any

import pytest
from huggingface_hub import HfApi
from huggingface_hub._space_api import Volume
from huggingface_hub.errors import BadRequestError, HfHubHTTPError

from reconciler.localhub import LocalHub
from tests.localhub.hubtools import add_token, admin, api, switch

FREE = "hf_free_user_token"


def _status(error: pytest.ExceptionInfo[HfHubHTTPError]) -> int:
    return int(error.value.response.status_code)


@pytest.fixture
def free(local_hub: LocalHub) -> HfApi:
    """A new user (free plan, no payment method), as any new Hub account starts."""
    return api(local_hub, add_token(local_hub, FREE, "newbie"))


def test_new_static_space_holds_index_and_style(local_hub: LocalHub) -> None:
    client = api(local_hub)
    client.create_repo("local/site", repo_type="space", space_sdk="static")
    files = set(client.list_repo_files("local/site", repo_type="space"))
    assert files == {".gitattributes", "README.md", "index.html", "style.css"}


@pytest.mark.parametrize(
    "write",
    [
        lambda c: c.request_space_hardware("local/site", "cpu-upgrade"),
        lambda c: c.pause_space("local/site"),
        lambda c: c.enable_space_dev_mode("local/site"),
        lambda c: c.set_space_volumes("local/site", [Volume(type="bucket", source="local/b", mount_path="/d")]),
    ],
    ids=["hardware", "pause", "dev-mode", "volumes"],
)
def test_static_spaces_refuse_container_settings(local_hub: LocalHub, write: Any) -> None:
    client = api(local_hub)
    client.create_repo("local/site", repo_type="space", space_sdk="static")
    with pytest.raises(BadRequestError):
        write(client)


def test_static_space_created_with_hardware_is_refused(local_hub: LocalHub) -> None:
    with pytest.raises(BadRequestError):
        api(local_hub).create_repo("local/site", repo_type="space", space_sdk="static", space_hardware="cpu-basic")  # type: ignore[arg-type]


def test_paid_hardware_needs_a_payment_method(local_hub: LocalHub, free: HfApi) -> None:
    with pytest.raises(HfHubHTTPError) as refused:
        free.create_repo("newbie/gpu", repo_type="space", space_sdk="gradio", space_hardware="t4-small")  # type: ignore[arg-type]
    assert _status(refused) == 402
    free.create_repo("newbie/gpu", repo_type="space", space_sdk="gradio")
    with pytest.raises(HfHubHTTPError) as refused:
        free.request_space_hardware("newbie/gpu", "cpu-upgrade")  # type: ignore[arg-type]
    assert _status(refused) == 402
    free.request_space_hardware("newbie/gpu", "cpu-basic")  # free hardware is fine
    admin(local_hub, "POST", "accounts/newbie", {"canPay": True})
    assert free.request_space_hardware("newbie/gpu", "t4-small").requested_hardware == "t4-small"  # type: ignore[arg-type]


def test_dev_mode_needs_a_plan(local_hub: LocalHub, free: HfApi) -> None:
    free.create_repo("newbie/dev", repo_type="space", space_sdk="gradio")
    with pytest.raises(HfHubHTTPError) as refused:
        free.enable_space_dev_mode("newbie/dev")
    assert _status(refused) == 403
    free.disable_space_dev_mode("newbie/dev")  # turning it off is always allowed
    admin(local_hub, "POST", "accounts/newbie", {"plan": "pro"})
    assert free.enable_space_dev_mode("newbie/dev").raw["devMode"] is True


def test_whoami_shows_plan_billing_and_full_name(local_hub: LocalHub, free: HfApi) -> None:
    me = free.whoami()
    assert (me["name"], me["isPro"], me["canPay"], me["fullname"]) == ("newbie", False, False, "newbie")
    admin(local_hub, "POST", "accounts/newbie", {"plan": "pro", "canPay": True, "fullname": "New Bie"})
    me = free.whoami()
    assert (me["isPro"], me["canPay"], me["fullname"], me["plan"]) == (True, True, "New Bie", "pro")
    org = api(local_hub).whoami()["orgs"][0]
    assert (org["name"], org["plan"], org["canPay"]) == ("local-org", "team", True)


def test_account_settings_are_checked(local_hub: LocalHub) -> None:
    for body in ({"plan": "gold"}, {"canPay": "yes"}, {"fullname": ""}):
        with pytest.raises(AssertionError, match="400"):
            admin(local_hub, "POST", "accounts/newbie", body)


def test_protected_reads_as_private(local_hub: LocalHub) -> None:
    client = api(local_hub)
    client.create_repo("local/prot", repo_type="space", space_sdk="gradio", visibility="protected")  # type: ignore[call-arg]
    info = client.space_info("local/prot")
    assert info.private is True and getattr(info, "visibility", None) is None
    (listed,) = client.list_spaces(author="local", expand=["private", "sha"])  # type: ignore[list-item]
    assert listed.private is True and getattr(listed, "visibility", None) is None


def test_repo_mounts_read_back_read_only(local_hub: LocalHub) -> None:
    client = api(local_hub)
    client.create_repo("local/mnt", repo_type="space", space_sdk="docker")
    mounts = [Volume(type="model", source="local/w", mount_path="/w", read_only=False)]
    client.set_space_volumes("local/mnt", mounts)
    (mount,) = client.get_space_runtime("local/mnt").raw["volumes"]
    assert mount["readOnly"] is True


def test_static_rules_switched_off(local_hub: LocalHub) -> None:
    switch(local_hub, static_space_rules=False)
    client = api(local_hub)
    client.create_repo("local/site", repo_type="space", space_sdk="static")
    assert "index.html" not in client.list_repo_files("local/site", repo_type="space")
    client.pause_space("local/site")


def test_paid_hardware_and_dev_mode_switched_off(local_hub: LocalHub, free: HfApi) -> None:
    switch(local_hub, paid_hardware_needs_billing=False, dev_mode_needs_plan=False)
    free.create_repo("newbie/gpu", repo_type="space", space_sdk="gradio", space_hardware="t4-small")  # type: ignore[arg-type]
    assert free.enable_space_dev_mode("newbie/gpu").raw["devMode"] is True


def test_visibility_switched_on_tells_protected_apart(local_hub: LocalHub) -> None:
    client = api(local_hub)
    client.create_repo("local/prot", repo_type="space", space_sdk="gradio", visibility="protected")  # type: ignore[call-arg]
    switch(local_hub, visibility_on_read=True)
    info = client.space_info("local/prot", expand=["private"])  # type: ignore[list-item]
    assert (info.private, getattr(info, "visibility", None)) == (False, "protected")


def test_repo_mounts_switched_read_back_as_written(local_hub: LocalHub) -> None:
    switch(local_hub, repo_mounts_read_only=False)
    client = api(local_hub)
    client.create_repo("local/mnt", repo_type="space", space_sdk="docker")
    client.set_space_volumes("local/mnt", [Volume(type="model", source="local/w", mount_path="/w", read_only=False)])
    (mount,) = client.get_space_runtime("local/mnt").raw["volumes"]
    assert mount["readOnly"] is False


def test_a_listing_without_expand_names_each_space_only(local_hub: LocalHub) -> None:
    """huggingface_hub's list_spaces: `full` adds last_modified, siblings and card_data; without
    expand or full the local Hub sends no more than the id (routes_repos._listed)."""
    client = api(local_hub)
    client.create_repo("local/listed", repo_type="space", space_sdk="gradio")
    (bare,) = client.list_spaces(author="local")
    assert (bare.id, bare.sha, bare.card_data, bare.last_modified, bare.siblings, bare.runtime) == (
        "local/listed",
        None,
        None,
        None,
        None,
        None,
    )
    (full,) = client.list_spaces(author="local", full=True)
    assert full.sha and full.last_modified is not None and full.siblings and full.runtime is not None
    (expanded,) = client.list_spaces(author="local", expand=["sha"])
    assert expanded.sha == full.sha and expanded.runtime is None


def test_a_listing_switched_to_full_sends_everything(local_hub: LocalHub) -> None:
    switch(local_hub, full_listing_without_expand=True)
    client = api(local_hub)
    client.create_repo("local/listed", repo_type="space", space_sdk="gradio")
    (listed,) = client.list_spaces(author="local")
    assert listed.sha and listed.last_modified is not None and listed.runtime is not None
