"""What a fleet repeats in every Space is held once: field-name sets, rows, trees, strings (P6).

These are contracts of the data structures (which objects are the same object), checked
without a Hub; tests/e2e/test_shared_observation.py checks them on a real plan.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from reconciler import interning
from reconciler.hub.cache import TreeCache
from reconciler.model import Lifecycle, ObservedSecret, ObservedVariable, RemoteFile
from reconciler.planner import Pair, plan_pair
from tests.builders import blob, desired, observed_like


def entry(path: str, content: str) -> RemoteFile:
    return RemoteFile(path=path, blob_id=blob(content), size=len(content))


def test_instances_set_alike_share_one_set_of_field_names() -> None:
    one = ObservedVariable(value="1", updated_at="2026-12-01T10:00:00Z")
    two = ObservedVariable(value="2", updated_at="2026-12-01T10:00:01Z")
    assert one.model_fields_set is two.model_fields_set
    assert one.model_fields_set == {"value", "updated_at"}
    other = ObservedVariable(value="3")
    assert other.model_fields_set == {"value"} and other.model_fields_set is not one.model_fields_set


def test_a_copy_gets_its_own_names_and_leaves_the_original_alone() -> None:
    one = ObservedVariable(value="1")
    copied = one.model_copy(update={"description": "set later"})
    assert copied.model_fields_set == {"value", "description"}
    assert one.model_fields_set == {"value"}
    assert ObservedVariable(value="2").model_fields_set == {"value"}
    assert copied.model_fields_set is ObservedVariable(value="x", description="y").model_fields_set


def test_equal_rows_are_one_object_and_different_ones_stay_apart() -> None:
    rows = interning.Rows()
    first = rows(ObservedSecret(description="managed", updated_at="2026-12-01T10:00:00Z"))
    assert rows(ObservedSecret(description="managed", updated_at="2026-12-01T10:00:00Z")) is first
    later = rows(ObservedSecret(description="managed", updated_at="2026-12-01T10:00:01Z"))
    assert later is not first and later.updated_at == "2026-12-01T10:00:01Z"
    # Equal values of other types (1 == 1.0 == True, one hash) are never handed out for each other.
    assert type(rows(1)) is int and type(rows(1.0)) is float and type(rows(True)) is bool
    assert rows(Lifecycle()) is rows(Lifecycle(prevent_destroy=False))
    assert len(rows) == 6


def test_parsed_json_shares_its_keys_and_strings() -> None:
    text = '{"title": "Demo", "sdk": "gradio", "tags": ["spaces-reconciler"], "n": 1}'
    one, two = interning.json_like(json.loads(text)), interning.json_like(json.loads(text))
    assert one == two == json.loads(text)
    assert one["sdk"] is two["sdk"] and one["tags"][0] is two["tags"][0]
    assert next(iter(one)) is next(iter(two))


def test_identical_trees_are_one_tuple(tmp_path: Path) -> None:
    common = (entry("README.md", "# same\n"), entry("app.py", "x\n"))
    writer = TreeCache(tmp_path)
    writer.put("a" * 40, common)
    writer.put("b" * 40, common)
    writer.put("c" * 40, (*common[:1], entry("app.py", "y\n")))
    reader = TreeCache(tmp_path)
    first, second, third = reader.get("a" * 40), reader.get("b" * 40), reader.get("c" * 40)
    assert first is not None and second is not None and third is not None
    assert first is second and first == common
    assert third is not first and third[0] is first[0]
    # A tree read from the Hub goes through the same table as one read from the cache (read_tree).
    fetched = tuple(reader.entry(f.path, f.blob_id, f.size, None, f.xet_hash) for f in common)
    assert fetched[0] is first[0] and reader.tree(fetched) is first


def test_paths_read_from_the_cache_are_shared_where_the_content_differs(tmp_path: Path) -> None:
    writer = TreeCache(tmp_path)
    writer.put("a" * 40, (entry("README.md", "# one\n"),))
    writer.put("b" * 40, (entry("README.md", "# two\n"),))
    reader = TreeCache(tmp_path)
    first, second = reader.get("a" * 40), reader.get("b" * 40)
    assert first is not None and second is not None
    assert first[0] is not second[0] and first[0].path is second[0].path


def test_unchanged_spaces_share_their_cost_and_file_changes() -> None:
    one, two = desired("acme/one"), desired("acme/two")
    first = plan_pair(Pair(one.id, one, observed_like(one)), {"cpu-basic": 0.0}, has_key=True)
    second = plan_pair(Pair(two.id, two, observed_like(two)), {"cpu-basic": 0.0}, has_key=True)
    assert first.steps == second.steps == ()
    assert first.cost is second.cost
    assert first.files is second.files and not first.files


def test_a_plan_imports_no_deepdiff_until_settings_differ() -> None:
    # deepdiff imports numpy and pandas when they are installed: about 50 MB in every run.
    code = "import sys, reconciler.pipeline, reconciler.apply; print('deepdiff' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"
