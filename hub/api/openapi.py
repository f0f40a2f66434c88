"""The OpenAPI document with the standard in it: one path per kind, real record schemas.

flask-smorest documents ``/api/v1/{kind}/...`` once, with a generic record. A partner
(and schemathesis) needs each kind's own schema, so the served document has a path per
kind whose bodies refer to that kind's record, page and batch: the schemas come from
``schemas.jsonschema`` (generated from the marshmallow schemas, one source of truth),
registered as components of the same OpenAPI 3.1 document.
"""

from __future__ import annotations

import copy
from typing import Any

from schemas import KINDS
from schemas import jsonschema as standard

REF = "#/components/schemas/"
KIND_PARAM = "{kind}"
# History (``/versions``) can hold tombstones: those answers keep the generic record.


def document(spec: dict[str, Any], batch_max_records: int) -> dict[str, Any]:
    """``spec`` (flask-smorest's dict) with per-kind paths and the standard's components."""
    doc = copy.deepcopy(spec)
    schemas = doc.setdefault("components", {}).setdefault("schemas", {})
    schemas.update(standard.components(REF))
    for kind in KINDS:
        name = standard.kind_name(kind)
        schemas[f"{name}Page"] = {
            "type": "object",
            "properties": {
                "items": {"type": "array", "items": {"$ref": REF + name}},
                "next_cursor": {"type": ["string", "null"]},
            },
        }
        schemas[f"{name}Batch"] = {
            "type": "object",
            "required": ["records"],
            "additionalProperties": False,
            "properties": {
                "records": {
                    "type": "array",
                    "maxItems": batch_max_records,
                    "items": {"$ref": REF + name},
                    "description": f"Up to {batch_max_records:,} {kind} records, each judged on its own.",
                }
            },
            "example": {"records": standard.load_examples().get(kind, [])},
        }
    paths: dict[str, Any] = {}
    for path, item in doc.get("paths", {}).items():
        if KIND_PARAM not in path:
            paths[path] = item
            continue
        for kind in KINDS:
            concrete = path.replace(KIND_PARAM, kind)
            paths[concrete] = _for_kind(item, kind, concrete, "/versions" in path)
    doc["paths"] = paths
    doc["tags"] = [
        *[t for t in doc.get("tags", []) if t.get("name") != "records"],
        *({"name": kind, "description": f"Records of kind {kind}"} for kind in KINDS),
    ]
    return doc


def _for_kind(item: dict[str, Any], kind: str, path: str, generic: bool) -> dict[str, Any]:
    name = standard.kind_name(kind)
    item = copy.deepcopy(item)
    item["parameters"] = [p for p in item.get("parameters", []) if p.get("name") != "kind"]
    if not item["parameters"]:
        del item["parameters"]
    renames = {"Page": f"{name}Page", "BatchBody": f"{name}Batch"}
    if not generic:
        renames["Record"] = name
    for method, op in item.items():
        if method == "parameters":
            continue
        op["tags"] = [kind]
        op["operationId"] = _slug(f"{method} {path.removeprefix('/api/v1/')}")
        _rename(op, renames)
    return item


def _slug(text: str) -> str:
    return "_".join("".join(c if c.isalnum() else " " for c in text.lower()).split())


def _rename(value: Any, renames: dict[str, str]) -> None:
    if isinstance(value, dict):
        ref = value.get("$ref")
        if isinstance(ref, str) and ref.startswith(REF) and ref[len(REF) :] in renames:
            value["$ref"] = REF + renames[ref[len(REF) :]]
        for sub in value.values():
            _rename(sub, renames)
    elif isinstance(value, list):
        for sub in value:
            _rename(sub, renames)
