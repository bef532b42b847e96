"""The committed JSON Schemas match the models, accept the examples, reject invalid manifests."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from reconciler.manifests import jsonschema as generator
from reconciler.manifests.schema_models import Hardware
from reconciler.model import HARDWARE_FLAVORS

ROOT = Path(__file__).resolve().parents[2]
SCHEMAS = ROOT / "schemas"
CASES = Path(__file__).parent / "cases"
# Golden cases whose mistakes are structural, so the schema alone must reject a document.
SCHEMA_INVALID = ["unknown-keys", "types-and-enums", "literal-secret", "volumes", "yaml-errors"]


def _validator(name: str = "manifest.schema.json") -> jsonschema.Draft202012Validator:
    schema = json.loads((SCHEMAS / name).read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def _documents(folder: Path) -> list[Any]:
    docs: list[Any] = []
    for file in sorted(folder.rglob("*.y*ml")):
        try:
            docs.extend(d for d in yaml.safe_load_all(file.read_text(encoding="utf-8")) if d is not None)
        except yaml.YAMLError:
            docs.append("not yaml")
    return docs


def test_committed_schemas_are_up_to_date() -> None:
    assert generator.stale(SCHEMAS) == [], "schemas/ is out of date: run `reconcile schema --out schemas`"


def test_hardware_enum_matches_the_shared_model() -> None:
    assert Hardware.__args__ == HARDWARE_FLAVORS  # type: ignore[attr-defined]


@pytest.mark.parametrize("name", ["manifest.schema.json", "space.schema.json", "spaceset.schema.json"])
def test_schemas_are_valid_json_schema(name: str) -> None:
    _validator(name)


def test_examples_are_accepted() -> None:
    validator = _validator()
    docs = _documents(ROOT / "manifests")
    assert len(docs) >= 4
    for doc in docs:
        assert list(validator.iter_errors(doc)) == [], doc


@pytest.mark.parametrize("case", SCHEMA_INVALID)
def test_invalid_cases_are_rejected(case: str) -> None:
    validator = _validator()
    docs = _documents(CASES / case / "manifests")
    assert any(not validator.is_valid(doc) for doc in docs)


def test_valid_case_is_accepted() -> None:
    validator = _validator()
    for doc in _documents(CASES / "valid-full" / "manifests"):
        assert validator.is_valid(doc)


def test_kind_specific_schemas() -> None:
    docs = _documents(ROOT / "manifests")
    space, spaceset = _validator("space.schema.json"), _validator("spaceset.schema.json")
    for doc in docs:
        assert space.is_valid(doc) == (doc["kind"] == "Space")
        assert spaceset.is_valid(doc) == (doc["kind"] == "SpaceSet")
