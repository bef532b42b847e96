"""--target: ids, bare names and globs, case-insensitive as Hub ids are; a miss suggests."""

from __future__ import annotations

import pytest

from reconciler.errors import UserError
from reconciler.targets import resolve_targets

FLEET = ("local-org/gradio-hello", "local-org/regional-demo-eu", "local-org/regional-demo-us", "Acme/Demo", "x/demo")


def test_an_id_a_bare_name_and_a_glob_select_in_fleet_order() -> None:
    assert resolve_targets(["local-org/gradio-hello"], FLEET) == ("local-org/gradio-hello",)
    assert resolve_targets(["gradio-hello"], FLEET) == ("local-org/gradio-hello",)
    assert resolve_targets(["local-org/regional-*"], FLEET) == FLEET[1:3]
    assert resolve_targets(["*-us", "gradio-hello"], FLEET) == ("local-org/gradio-hello", "local-org/regional-demo-us")
    assert resolve_targets([], FLEET) == ()


def test_targets_ignore_case_and_keep_the_manifest_spelling() -> None:
    assert resolve_targets(["acme/DEMO"], FLEET) == ("Acme/Demo",)
    assert resolve_targets(["LOCAL-ORG/Regional-Demo-?U"], FLEET) == ("local-org/regional-demo-eu",)


def test_a_miss_suggests_the_closest_ids() -> None:
    with pytest.raises(UserError) as raised:
        resolve_targets(["regional-demo-uk"], FLEET)
    assert str(raised.value) == (
        "--target regional-demo-uk: no manifest describes a Space of this name; "
        "did you mean local-org/regional-demo-us or local-org/regional-demo-eu?"
    )
    with pytest.raises(UserError, match=r"did you mean local-org/gradio-hello\?$"):
        resolve_targets(["local-org/gradio-helo"], FLEET)
    with pytest.raises(UserError, match=r"no manifest describes a Space this pattern matches$"):
        resolve_targets(["nope/*"], FLEET)
    # A glob by its literal part: the ids it was probably meant to match.
    with pytest.raises(UserError, match=r"this pattern matches; did you mean local-org/regional-demo-\w\w or "):
        resolve_targets(["regonal-demo-*"], FLEET)


def test_a_bare_name_in_two_namespaces_asks_for_the_namespace() -> None:
    with pytest.raises(UserError, match=r"several Spaces have this name \(Acme/Demo, x/demo\); write NS/NAME"):
        resolve_targets(["demo"], FLEET)
