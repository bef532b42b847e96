"""JSON Schemas of the manifest kinds, generated from the pydantic models.

`schemas/` is committed so editors (yaml-language-server) can use it from a checkout;
a test regenerates and compares, so it cannot drift from the models.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic.json_schema import models_json_schema

from reconciler.manifests.schema_models import KINDS

DIALECT = "https://json-schema.org/draft/2020-12/schema"


def schemas() -> dict[str, dict[str, Any]]:
    """File name -> schema: one per kind, and manifest.schema.json accepting any kind.

    Each file is self-contained (no $id, no cross-file $ref) so an editor can use it from
    a checkout with no network.
    """
    result: dict[str, dict[str, Any]] = {}
    for kind, model in KINDS.items():
        schema = model.model_json_schema(by_alias=True, mode="validation")
        result[f"{kind.lower()}.schema.json"] = {"$schema": DIALECT, **schema}
    _, combined = models_json_schema([(model, "validation") for model in KINDS.values()], by_alias=True)
    result["manifest.schema.json"] = {
        "$schema": DIALECT,
        "title": "spaces-reconciler manifest",
        "description": "Any manifest document; `kind` selects Space, SpaceSet or Policy.",
        "oneOf": [{"$ref": f"#/$defs/{kind}"} for kind in KINDS],
        **combined,
    }
    return result


def render(schema: dict[str, Any]) -> str:
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"


def write(out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, schema in schemas().items():
        path = out / name
        path.write_text(render(schema), encoding="utf-8")
        written.append(path)
    return written


def stale(out: Path) -> list[str]:
    """Names of the schema files under `out` that are missing or differ from the models."""
    return [
        name
        for name, schema in schemas().items()
        if not (out / name).is_file() or (out / name).read_text(encoding="utf-8") != render(schema)
    ]
