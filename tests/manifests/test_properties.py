"""Property tests: no input makes loading raise, and every finding has a position."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from reconciler.manifests import load_manifests
from tests.mutations import mutate, yaml_values

VALID: dict[str, Any] = {
    "apiVersion": "spaces-reconciler/v1",
    "kind": "Space",
    "metadata": {"namespace": "acme", "name": "demo", "labels": {"team": "a"}},
    "spec": {
        "sdk": "gradio",
        "sdkVersion": "6.15.1",
        "hardware": "cpu-basic",
        "variables": {"MODE": "x"},
        "secrets": {"TOKEN": {"fromEnv": "CANARY_SECRET"}},
        "volumes": [{"type": "bucket", "source": "acme/data", "mountPath": "/data"}],
        "source": {"path": "app", "exclude": ["*.md"]},
        "card": {"title": "Demo", "colorFrom": "blue", "tags": ["x"], "extra": {"k": 1}},
        "lifecycle": {"ignoreChanges": ["spec.hardware"], "ignoreLint": ["static-hardware"]},
    },
}
SPACESET: dict[str, Any] = {
    "apiVersion": "spaces-reconciler/v1",
    "kind": "SpaceSet",
    "metadata": {"name": "fleet"},
    "spec": {
        "generators": [{"list": [{"r": "eu"}, {"r": "us"}]}, {"matrix": {"r": ["ap"]}}],
        "template": "metadata: {namespace: acme, name: 'd-{{ r }}'}\nspec:\n  sdk: gradio\n  source: {path: app}\n",
    },
}

scalars, values = yaml_values(["gradio", "/data", "{{ r }}", "{{", "acme/x", "-1", "3.10"])


def _load(text: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "app").mkdir()
        (root / "app" / "app.py").write_text("print(1)\n")
        (root / "m.yaml").write_text(text, encoding="utf-8")
        result = load_manifests([root / "m.yaml"], repo_root=root)
        for diagnostic in result.diagnostics:
            assert diagnostic.location is not None, diagnostic
            assert diagnostic.location.line >= 1 and diagnostic.location.col >= 1
        assert result.ok == (not result.errors)
        if result.ok:
            lines = text.count("\n") + 1
            assert all(1 <= s.source_ref.line <= lines for s in result.spaces), "a Space located outside its file"


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=300))
def test_arbitrary_text_never_raises(text: str) -> None:
    _load(text)


@settings(max_examples=150, deadline=None)
@given(values)
def test_arbitrary_yaml_documents_never_raise(data: Any) -> None:
    _load(yaml.safe_dump_all([data, {"kind": "Space", "spec": data}]))


@st.composite
def mutated(draw: st.DrawFn) -> Any:
    return mutate(draw, draw(st.sampled_from([VALID, SPACESET])), values, draw(st.integers(1, 4)))


@settings(max_examples=200, deadline=None)
@given(mutated())
def test_mutated_manifests_never_raise(document: Any) -> None:
    _load(yaml.safe_dump(document, allow_unicode=True))


def test_alias_bomb_is_refused() -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [*a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}]" for i in range(1, 12)]
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "m.yaml").write_text("\n".join(lines) + "\n")
        result = load_manifests([Path(tmp)], repo_root=Path(tmp))
    assert not result.ok
    assert "too large" in result.errors[0].message


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=40) | st.from_regex(r"[A-Za-z0-9][A-Za-z0-9 _.,()/+-]{0,30}[A-Za-z0-9)]", fullmatch=True))
@example("08\n")  # a plain-looking value with a final newline must be quoted, not emitted bare
def test_front_matter_fast_path_matches_the_yaml_emitter(value: str) -> None:
    from reconciler.manifests.card import _entry

    expected = yaml.safe_dump({"title": value}, sort_keys=False, allow_unicode=True, width=10**6)
    assert _entry("title", value) == expected
