"""The hf_xet upload settings the Hub adapter sets, read back from a real hf_xet session."""

from __future__ import annotations

import os
import re

import hf_xet
import pytest

from reconciler.hub.client import HubClient
from reconciler.hub.xetconfig import INGESTION_BLOCK_SIZE, UPLOAD_CONCURRENCY, upload_settings


def session_config() -> dict[str, str]:
    """What a fresh XetSession reads from the environment, from its own description of itself."""
    text = repr(hf_xet.XetSession())
    return dict(re.findall(r"([a-z_]+\.[a-z_]+)=([^,}]+)", text))


def test_a_client_bounds_the_upload_concurrency_and_block_size_hf_xet_starts_with() -> None:
    assert session_config()["client.ac_max_upload_concurrency"] == "64"  # hf_xet's own default
    with HubClient("http://127.0.0.1:9", "hf_x"):
        pass
    config = session_config()
    assert config["client.ac_initial_upload_concurrency"] == "1"
    assert config["client.ac_min_upload_concurrency"] == "1"
    assert config["client.ac_max_upload_concurrency"] == "1"
    assert config["data.ingestion_block_size"] == "1000000"
    assert config["client.ac_max_download_concurrency"] == "64"  # downloads are left as they are


@pytest.mark.parametrize(
    ("name", "value", "key", "expected"),
    [
        ("HF_XET_CLIENT_AC_MAX_UPLOAD_CONCURRENCY", "8", "client.ac_max_upload_concurrency", "8"),
        ("HF_XET_FIXED_UPLOAD_CONCURRENCY", "3", "client.ac_max_upload_concurrency", "3"),
        ("HF_XET_INGESTION_BLOCK_SIZE", "4mb", "data.ingestion_block_size", "4000000"),
    ],
)
def test_a_value_the_user_set_is_kept(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str, key: str, expected: str
) -> None:
    monkeypatch.setenv(name, value)
    with HubClient("http://127.0.0.1:9", "hf_x"):
        pass
    assert os.environ[name] == value
    assert session_config()[key] == expected


def test_each_setting_is_left_out_when_the_user_set_any_variable_of_its_group() -> None:
    assert upload_settings({}) == {UPLOAD_CONCURRENCY: "1", INGESTION_BLOCK_SIZE: "1mb"}
    assert upload_settings({"HF_XET_CLIENT_AC_MIN_UPLOAD_CONCURRENCY": "2"}) == {INGESTION_BLOCK_SIZE: "1mb"}
    # High performance mode sets the concurrency after the environment is read (hf_xet reads that flag
    # once per process, so this is checked on the settings, not on a session).
    assert upload_settings({"HF_XET_HP": "1"}) == {INGESTION_BLOCK_SIZE: "1mb"}
    assert upload_settings({"HF_XET_HIGH_PERFORMANCE": "true"}) == {INGESTION_BLOCK_SIZE: "1mb"}
    assert upload_settings({"HF_XET_DATA_INGESTION_BLOCK_SIZE": "8mb"}) == {UPLOAD_CONCURRENCY: "1"}
