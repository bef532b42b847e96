"""Keyless auth selection, and the one redaction every writer of the action goes through."""

from __future__ import annotations

import html
import json
import logging
import re
import sys
import urllib.parse

import pytest

from reconciler.ci import auth, redact
from reconciler.ci.redact import Redactor
from reconciler.render._markdown import md_code, md_text

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


def test_keyless_scopes_a_bare_name_or_a_glob_that_selects_one_space() -> None:
    for target in ("demo", "ACME/de*"):
        env = dict(OIDC)
        how, warning = auth.configure(env, "apply", ["--target", target], ["acme/demo", "acme/other"])
        assert warning is None and env["HF_OIDC_RESOURCE"] == "spaces/acme/demo", target
    env = dict(OIDC)
    how, warning = auth.configure(env, "apply", ["--target", "acme/*"], ["acme/demo", "acme/other"])
    assert how == "none" and warning and "covers 2" in warning and "HF_OIDC_RESOURCE" not in env


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


def test_every_escaped_form_of_a_value_is_masked() -> None:
    value = 'Sup3r$ecret!_x*y"\\<|`&'
    redact = Redactor([value])
    forms = {
        "raw": value,
        "json": json.dumps(value)[1:-1],
        "url": urllib.parse.quote(value, safe=""),
        "url+": urllib.parse.quote_plus(value),
        "html": html.escape(value),
        "markdown": md_text(value),
        "code span": md_code(value),
        "backslashes": re.sub(r"([!-/:-@\[-`{-~])", r"\\\1", value),
        "annotation": value.replace("%", "%25"),
    }
    for name, form in forms.items():
        assert "Sup3r" not in redact(f"before {form} after"), name


def test_data_is_masked_before_it_is_serialised() -> None:
    value = 'tok"en\\value'
    redact = Redactor([value])
    document = {"message": f"printed {value}", "list": [value, 3], f"key {value}": None}
    masked = redact.data(document)
    assert masked == {"message": "printed ***", "list": ["***", 3], "key ***": None}
    assert value not in json.dumps(masked) and "tok" not in json.dumps(masked)


def test_while_active_stdout_stderr_and_log_records_are_masked(capsys: pytest.CaptureFixture[str]) -> None:
    records: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    keeper = Keep()
    logging.getLogger().addHandler(keeper)
    try:
        with redact.active(Redactor(["s3cr3t-value"])):
            sys.stdout.write("a value split s3cr")  # one print can come in several writes
            sys.stdout.write("3t-value across writes\n")
            print("to stderr: s3cr3t-value", file=sys.stderr)
            logging.getLogger("reconciler.test").warning("logged %s", "s3cr3t-value")
            assert redact.text("written s3cr3t-value") == "written ***"
    finally:
        logging.getLogger().removeHandler(keeper)
    out, err = capsys.readouterr()
    assert out == "a value split *** across writes\n" and err == "to stderr: ***\n"
    assert [r.getMessage() for r in records if r.name == "reconciler.test"] == ["logged ***"]
    assert redact.text("s3cr3t-value") == "s3cr3t-value"  # inactive again
