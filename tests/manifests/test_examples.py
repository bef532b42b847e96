"""The example fleet in manifests/ validates and produces what the README promises."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.manifests import load_manifests
from reconciler.model import OWNERSHIP_TAG

ROOT = Path(__file__).resolve().parents[2]


def test_example_fleet_validates(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    result = load_manifests([Path("manifests")])
    assert result.diagnostics == ()
    spaces = {s.id: s for s in result.spaces}
    assert {s.sdk for s in spaces.values()} == {"gradio", "docker", "static"}
    assert {"local-org/regional-demo-eu", "local-org/regional-demo-us"} <= set(spaces)
    gradio = spaces["local-org/gradio-hello"]
    assert gradio.sdk_version is not None
    assert tuple(int(p) for p in gradio.sdk_version.split(".")[:2]) >= (6, 1)
    assert gradio.secrets["HELLO_TOKEN"].from_env == "HELLO_TOKEN"
    for space in spaces.values():
        assert space.namespace in ("local", "local-org")
        assert OWNERSHIP_TAG in space.card["tags"]
        assert [f.path for f in space.files] == sorted(f.path for f in space.files)
        assert "README.md" in [f.path for f in space.files]
        assert sum(f.size for f in space.files) < 100_000  # tiny apps, no model files


def test_readme_example_validates(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("\n## Manifests\n", 1)[1]
    example = section.split("```yaml\n", 1)[1].split("```\n", 1)[0]
    (tmp_path / "manifests").mkdir()
    (tmp_path / "manifests" / "example.yaml").write_text(example, encoding="utf-8")
    for app in ("image-demo", "regional-demo"):
        (tmp_path / "manifests" / "apps" / app).mkdir(parents=True)
        (tmp_path / "manifests" / "apps" / app / "app.py").write_text("print(1)\n")
    monkeypatch.chdir(tmp_path)
    result = load_manifests([Path("manifests")], repo_root=tmp_path)
    assert result.ok, [str(d) for d in result.diagnostics]
    assert len(result.spaces) == 1 + 2 + 4
    assert [d.rule for d in result.diagnostics] == []
