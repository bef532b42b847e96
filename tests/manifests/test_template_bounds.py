"""SpaceSet templates and manifests are bounded (issue 11.10): hostile ones fail fast, with
exit 1 and FILE:LINE:COL naming the limit, instead of running for minutes or taking gigabytes."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest

from tests.e2e.conftest import run_cli

SPACESET = """\
apiVersion: spaces-reconciler/v1
kind: SpaceSet
metadata: {{name: hostile}}
spec:
  generators:
    - list: [{{i: 1}}, {{i: 2}}, {{i: 3}}]
  template: |
    metadata:
      namespace: acme
      name: demo-{{{{ i }}}}
    spec:
      sdk: gradio
      sdkVersion: "6.15.1"
      source: {{path: ../app}}
      card: {{title: "{title}"}}
"""

ATTACKS = {
    "huge power": ("{{ 2**(2**40) }}", "integer"),
    "nested ranges": ("{% for a in range(99999) %}{% for b in range(99999) %}{% endfor %}{% endfor %}", "range"),
    "nested ranges under the range limit": (
        "{% for a in range(9999) %}{% for b in range(9999) %}{% for c in range(9999) %}"
        "{% endfor %}{% endfor %}{% endfor %}",
        "s, the limit",
    ),
    "huge string": ("{{ 'x'*10**9 }}", "the limit is 1000000"),
    "lipsum": ("{{ lipsum(n=100000) }}", "lipsum"),
    "filter width": ("{{ 'x'|center(10**9) }}", "arguments are at most"),
    "method width": ("{{ 'x'.ljust(10**9) }}", "arguments are at most"),
    "format width": ("{{ '{:>999999999}'.format(1) }}", "format width"),
    "percent width": ("{{ '%0999999999d' % 1 }}", "format width"),
    "doubling with ~": (
        "{% set a = 'x'*999999 %}{% set b = a~a~a~a~a~a~a~a %}{% set c = b~b~b~b~b~b~b~b %}{{ c }}",
        "the limit",
    ),
    "list of references": ("{% set a = 'x'*999999 %}{{ [a, a, a, a, a, a, a, a] }}", "the limit"),
    "exponential macro": (
        "{% macro f(n) %}{% if n %}{{ f(n-1) }}{{ f(n-1) }}{% endif %}{% endmacro %}{{ f(60) }}",
        "s, the limit",
    ),
    "replace growing a string": ("{{ ('x'*99999).replace('x', 'y'*99999) }}", "str.replace would give"),
    "join with a long separator": ("{{ ('s'*99999).join(range(9999)|list) }}", "str.join would give"),
    "translate to long strings": ("{{ ('x'*99999).translate({120: 'y'*99999}) }}", "str.translate would give"),
    "loop over a long string": (
        "{% set s = 'x'*999999 %}{% for a in s %}{% for b in s %}{% endfor %}{% endfor %}",
        "s, the limit",
    ),
}


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / ".git").mkdir()
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "app.py").write_text("import gradio as gr\n")
    (tmp_path / "manifests").mkdir()
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.mark.parametrize("attack", sorted(ATTACKS))
def test_a_hostile_template_fails_fast_naming_the_limit(repo: Path, attack: str) -> None:
    expression, limit = ATTACKS[attack]
    (repo / "manifests" / "set.yaml").write_text(SPACESET.format(title=expression.replace('"', '\\"')))
    started = time.monotonic()
    result = run_cli("validate", "manifests")
    elapsed = time.monotonic() - started
    assert result.code == 1, result.output
    assert "Traceback" not in result.output
    assert re.search(r"^manifests/set\.yaml:7:13: error: .*template limit exceeded: ", result.output, re.M), (
        result.output
    )
    assert limit in result.output, result.output
    # One entry hits the bound; the others of the same template are not rendered again.
    assert elapsed < 8, f"{attack} took {elapsed:.1f} s"


def test_a_list_cannot_grow_in_place(repo: Path) -> None:
    # `l.append(s)` in a loop would build a list no hook sees: lists and dicts are immutable here.
    title = "{% set l = [] %}{% for i in range(9999) %}{{ l.append('x'*999999) }}{% endfor %}{{ l }}"
    (repo / "manifests" / "set.yaml").write_text(SPACESET.format(title=title.replace('"', '\\"')))
    started = time.monotonic()
    result = run_cli("validate", "manifests")
    assert result.code == 1, result.output
    assert "access to attribute 'append' of 'list' object is unsafe" in result.output, result.output
    assert time.monotonic() - started < 8


def test_ordinary_templates_are_not_bounded_by_accident(repo: Path) -> None:
    title = (
        "{% for a, b in [(1, 2), (3, 4)] %}{{ a }}{{ b }}{{ loop.index }}{% endfor %}"
        "{{ ('x' * 100)|length }}{{ 'Demo %s'|format(i) }}{{ '{}'.format(i) }}{{ range(100)|sum }}"
        "{{ {'k': i}['k'] }}{{ 2**64 }}"
    )
    (repo / "manifests" / "set.yaml").write_text(SPACESET.format(title=title.replace('"', '\\"')))
    result = run_cli("validate", "manifests")
    assert result.code == 0, result.output


def test_a_huge_scalar_is_refused_early_with_its_size(repo: Path) -> None:
    text = SPACESET.format(title="x").replace('title: "x"', f'title: "{"x" * 50_000_000}"')
    (repo / "manifests" / "set.yaml").write_text(text)
    started = time.monotonic()
    result = run_cli("validate", "manifests")
    assert result.code == 1, result.output[:2000]
    assert "manifests/set.yaml:1:1: error: manifest is 50000" in result.output, result.output[:2000]
    assert time.monotonic() - started < 5


def test_a_large_scalar_in_a_small_enough_file_is_refused_with_its_size(repo: Path) -> None:
    text = SPACESET.format(title="x").replace('title: "x"', f'title: "{"x" * 2_000_000}"')
    (repo / "manifests" / "set.yaml").write_text(text)
    result = run_cli("validate", "manifests")
    assert result.code == 1, result.output[:2000]
    assert re.search(r"set\.yaml:7:13: error: a value of 2000\d{3} characters; the limit is 1000000", result.output)


def test_total_generated_spaces_are_bounded_across_spacesets(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import reconciler.manifests.load as load

    monkeypatch.setattr(load, "MAX_GENERATED_TOTAL", 4)
    for name in ("a", "b"):
        text = SPACESET.format(title="t").replace("hostile", name).replace("demo-", f"{name}-")
        (repo / "manifests" / f"{name}.yaml").write_text(text)
    result = run_cli("validate", "manifests")
    assert result.code == 1, result.output
    assert "manifests/b.yaml:6:5: error: SpaceSets generate more than 4 Spaces in all, the limit" in result.output
