"""Keyless auth selection and the redactor of published text."""

from __future__ import annotations

from reconciler.ci import auth
from reconciler.ci.redact import Redactor

OIDC = {"ACTIONS_ID_TOKEN_REQUEST_URL": "https://token.example", "ACTIONS_ID_TOKEN_REQUEST_TOKEN": "t"}


def test_the_hf_token_input_wins() -> None:
    env = {"INPUT_HF_TOKEN": "hf_x", **OIDC}
    assert auth.configure(env, "apply", [], ["a/b", "a/c"]) == ("hf-token", None)
    assert env["HF_TOKEN"] == "hf_x" and "HF_OIDC_RESOURCE" not in env


def test_keyless_scopes_the_token_to_the_one_space() -> None:
    env = dict(OIDC)
    how, warning = auth.configure(env, "apply", ["--target", "acme/demo"], ["acme/demo", "acme/other"])
    assert warning is None and env["HF_OIDC_RESOURCE"] == "spaces/acme/demo" and "keyless" in how
    env = dict(OIDC)
    auth.configure(env, "plan", [], ["acme/only"])
    assert env["HF_OIDC_RESOURCE"] == "spaces/acme/only"


def test_keyless_refuses_to_guess_for_a_fleet() -> None:
    env = dict(OIDC)
    how, warning = auth.configure(env, "apply", [], ["acme/a", "acme/b"])
    assert how == "none" and warning and "--target" in warning and "refuse writes" in warning
    assert "HF_OIDC_RESOURCE" not in env


def test_a_workflow_resource_is_kept() -> None:
    env = {"HF_OIDC_RESOURCE": "acme-bot", **OIDC}
    assert auth.configure(env, "plan", [], ["acme/a", "acme/b"])[0].startswith("keyless")
    assert env["HF_OIDC_RESOURCE"] == "acme-bot"


def test_without_any_credential_the_run_says_so() -> None:
    how, warning = auth.configure({}, "plan", [], ["acme/a"])
    assert how == "none" and warning and "id-token: write" in warning


def test_redactor_masks_values_and_their_lines() -> None:
    redact = Redactor(["s3cr3t-value", "abc", "line-one\nline-two"])
    assert redact("token=s3cr3t-value; abc") == "token=***; abc"  # too short to mask safely
    assert redact("printed line-two only") == "printed *** only"


def test_targets_are_read_in_both_spellings() -> None:
    assert auth.targets(["--target", "a/b", "--target=c/d", "--shard", "1/2"]) == ["a/b", "c/d"]
