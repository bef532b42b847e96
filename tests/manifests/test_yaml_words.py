"""YAML syntax errors say what the user probably typed, at the right line."""

from __future__ import annotations

import pytest

from reconciler.manifests.yaml_positions import YamlProblem, parse_documents


def problem(text: str) -> YamlProblem:
    [found] = [item for item in parse_documents(text) if isinstance(item, YamlProblem)]
    return found


@pytest.mark.parametrize(
    ("text", "words", "line"),
    [
        ("spec:\n\tsdk: gradio\n", "tab characters are not allowed for indentation", 1),
        ("card:\n  title: Hello: world\n", "probably a colon inside an unquoted value", 1),
        ("spec:\n  sdk:gradio\n  hardware: cpu-basic\n", "a missing space after a colon", 2),
        ("a:\n  b: 1\n c: 2\n", "indentation does not line up", 2),
        # A key with no space after its colon, followed by a nested mapping: PyYAML reports the next
        # line ("could not find expected ':'"); the mistake is on the line it started the key at.
        ("spec:\n  sdk: static\n  visibility:public\n  source:\n    path: x\n", "a missing space after a colon", 2),
        ("a: b\nc\nd: e\n", "a missing space after a colon", 1),
        ("a: 'open\n", "the file ends inside a quoted string", 1),
    ],
)
def test_plain_words(text: str, words: str, line: int) -> None:
    found = problem(text)
    assert words in found.message
    assert found.pos[0] == line
