"""A plan of a fleet holds what its Spaces repeat once (P6), on a real plan against the local Hub.

Three Spaces of one SpaceSet, one app folder and one card: their trees are identical, so the
plan holds one tree; the rows the manifests repeat (source ref, lifecycle, secret ref), the
names and values read from the Hub and the unchanged Spaces' cost and file changes are one
object each. What the listing showed is kept only as the ObservedSpace later stages read.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from reconciler.hub.cache import TreeCache
from reconciler.hub.client import HubClient
from reconciler.hub.observe import Listed, list_namespace
from reconciler.localhub import LocalHub
from reconciler.manifests import load_manifests
from reconciler.model import Rung
from reconciler.pipeline import make_plan
from tests.conftest import CANARY
from tests.e2e.conftest import repository, run_cli

FLEET = """\
apiVersion: spaces-reconciler/v1
kind: SpaceSet
metadata: {name: same}
spec:
  generators:
    - list: [{i: 0}, {i: 1}, {i: 2}]
  template: |
    metadata:
      namespace: local-org
      name: same-{{ i }}
    spec:
      sdk: gradio
      sdkVersion: "6.15.1"
      variables: {INDEX: "{{ i }}", MODE: "fast"}
      secrets: {API_TOKEN: {fromEnv: SHARED_TOKEN}}
      source: {path: ../app}
      card: {title: Same app, colorFrom: blue, colorTo: indigo}
"""
IDS = [f"local-org/same-{i}" for i in range(3)]


@pytest.fixture
def same_fleet(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    files = {"app/app.py": "import gradio as gr\n", "app/requirements.txt": "numpy\n", "manifests/fleet.yaml": FLEET}
    root = repository(tmp_path / "repo", monkeypatch, files)
    monkeypatch.setenv("SHARED_TOKEN", CANARY)
    monkeypatch.setenv("RECONCILE_FINGERPRINT_KEY", "shared-fingerprint-key")
    return root


def test_a_fleet_plan_holds_what_its_spaces_repeat_once(hub: LocalHub, same_fleet: Path) -> None:
    applied = run_cli("apply", "--auto-approve", "--no-wait", "manifests")
    assert applied.code == 0, applied.output
    loaded = load_manifests([same_fleet / "manifests"], repo_root=same_fleet)
    assert loaded.ok
    desired = {d.id: d for d in loaded.spaces}
    first, *others = (desired[i] for i in IDS)
    for space in others:
        assert space.source_ref is first.source_ref and space.lifecycle is first.lifecycle
        assert space.secrets["API_TOKEN"] is first.secrets["API_TOKEN"]
        assert space.card["colorFrom"] is first.card["colorFrom"]

    with HubClient(hub.endpoint, hub.token) as client:
        plan, observation = make_plan(client, loaded.spaces, cache=TreeCache(same_fleet / "trees"))
    assert [e.rung for e in plan.spaces] == [Rung.NONE] * 3
    observed = [observation.observed[i] for i in IDS]
    assert all(o.sha for o in observed) and len({o.sha for o in observed}) == 3
    for space in observed[1:]:
        assert space.files is observed[0].files, "identical trees: one tuple of entries"
        assert space.model_fields_set is observed[0].model_fields_set
        assert space.card["colorFrom"] is observed[0].card["colorFrom"]
        assert space.hardware is observed[0].hardware
        assert all(a is b for a, b in zip(sorted(space.variables), sorted(observed[0].variables), strict=True))
        assert space.variables["MODE"].value is observed[0].variables["MODE"].value
    entries = list(plan.spaces)
    for entry in entries[1:]:
        assert entry.cost is entries[0].cost and entry.files is entries[0].files
        assert entry.manifest is entries[0].manifest


def test_the_listing_keeps_only_the_observed_state(hub: LocalHub, same_fleet: Path) -> None:
    assert run_cli("apply", "--auto-approve", "--no-wait", "manifests").code == 0
    assert [field.name for field in dataclasses.fields(Listed)] == ["observed"]
    with HubClient(hub.endpoint, hub.token) as client:
        listed = list_namespace(client, "local-org")
    seen = listed["local-org/same-0"]
    assert seen.sha == seen.observed.sha and seen.observed.stage is not None
    assert seen.card["colorFrom"] == "blue" and seen.observed.files == ()
