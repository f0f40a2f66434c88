"""The standard as JSON Schema 2020-12, generated from the marshmallow schemas.

One source of truth: the kinds' marshmallow schemas are converted by apispec's
marshmallow plugin, and the standard's own field types (language text, references,
codes, amounts...) add what they check as JSON Schema keywords: codelists become
``enum`` (with a link to the hub's codelist), category codes and rating scales become
``if``/``then`` rules per scheme. The hub's OpenAPI document uses the same objects
(OpenAPI 3.1 schema objects are JSON Schema 2020-12), and partners in any language
validate their files offline against ``python -m schemas jsonschema KIND``.

What JSON Schema cannot say stays with :func:`schemas.validate` (GTIN check digits,
registered language subtags, area codes, date order); a record valid here may still
be refused there, never the other way round for the shape of a record.
"""

from __future__ import annotations

import copy
import json
from functools import cache
from pathlib import Path
from typing import Any

import pycountry
from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from marshmallow import Schema, fields

from . import STANDARD_VERSION, codelists
from .base import HUB_FIELDS, Category, Envelope, Place, _unique
from .certifications import DERIVED, Certification
from .fields import GTIN, KINDS, Amount, Code, Country, Currency, HSCode, LangText, Ref, Text, Timestamp, Url
from .records import SCHEMAS

DIALECT = "https://json-schema.org/draft/2020-12/schema"
OPENAPI_REFS = "#/components/schemas/"
# BCP 47 shape: language (2-3 letters), extlang, script, region, variants. The
# registry itself (is the subtag assigned?) is checked by schemas.validate only.
LANG_TAG = (
    r"^[A-Za-z]{2,3}(-[A-Za-z]{3}){0,3}(-[A-Za-z]{4})?(-([A-Za-z]{2}|[0-9]{3}))?"
    r"(-([A-Za-z0-9]{5,8}|[0-9][A-Za-z0-9]{3}))*$"
)
ID_PART = "[A-Za-z0-9][A-Za-z0-9._~-]{0,127}"
AMOUNT = r"^\s*[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?\s*$"
TIMESTAMP = (
    r"^\s*[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]+)?)?([Zz]|[+-][0-9]{2}:[0-9]{2})\s*$"
)
# Keys a schema ignores on input because the hub adds them on read (round trip).
IGNORED = {Envelope: HUB_FIELDS, Certification: frozenset(DERIVED), Category: frozenset({"common", "label"})}
_FINDINGS = {
    "type": "array",
    "items": {
        "type": "object",
        "properties": {"path": {"type": "string"}, "code": {"type": "string"}, "message": {"type": "string"}},
    },
}
# What the hub adds on read, typed for readers; every one is ignored on input.
READ_ONLY: dict[str, dict[str, Any]] = {
    "uid": {"type": "string", "description": "CC/kind/id"},
    "version": {"type": "integer"},
    "review": {"type": "string", "description": "review state of this revision"},
    "hub_updated_at": {"type": "string"},
    "content_hash": {"type": "string"},
    "warnings": _FINDINGS,
    "deleted": {"type": "boolean"},
    "band": {"type": ["integer", "null"], "description": "1-5 band of the rating, for filtering"},
    "active": {"type": "boolean", "description": "whether the certificate is valid today"},
    "common": {"type": ["string", "null"], "description": "the common category"},
    "label": {"type": ["string", "null"]},
}
# Per-parameter keywords apispec adds to list fields; not JSON Schema.
_PARAMETER_KEYS = ("explode", "style")
EXAMPLES = Path(__file__).with_name("examples.json")


def name_of(schema: type[Schema] | Schema) -> str:
    """``ProductSchema`` -> ``Product``: the component name, in the OpenAPI document too."""
    cls = schema if isinstance(schema, type) else type(schema)
    return cls.__name__.removesuffix("Schema")


def kind_name(kind: str) -> str:
    return name_of(SCHEMAS[kind])


def _standard_field(self: Any, field: fields.Field[Any], ret: dict[str, Any], **_: Any) -> dict[str, Any]:
    """What the standard's own field types check, as JSON Schema keywords."""
    out: dict[str, Any] = {}
    if isinstance(field, LangText):
        out.update(
            type="object",
            minProperties=1,
            propertyNames={"pattern": LANG_TAG},
            additionalProperties={"type": "string", "minLength": 1, "maxLength": field.max_length},
            description='Text by BCP 47 language tag, e.g. {"vi": "Hạt mắc ca", "th": "น้ำพริก", "en": "Macadamia"}.',
        )
    elif isinstance(field, Text):
        out.update(minLength=1, maxLength=field.max_length)
    elif isinstance(field, Ref):
        kinds = "|".join(field.kinds)
        out.update(
            pattern=f"^([A-Z]{{2}}/({kinds})/)?{ID_PART}$",
            description=f"A reference to {' or '.join(field.kinds)}: 'CC/kind/id', or a bare id "
            "of the record's own country.",
        )
    elif isinstance(field, Code):
        out.update(
            enum=sorted(codelists.codes(field.codelist)),
            description=f"A code of the codelist '{field.codelist}' (GET /api/v1/codelists/{field.codelist}).",
        )
    elif isinstance(field, Country):
        out.update(enum=sorted(c.alpha_2 for c in pycountry.countries), description="ISO 3166-1 alpha-2 country code.")
    elif isinstance(field, Currency):
        out.update(enum=sorted(c.alpha_3 for c in pycountry.currencies), description="ISO 4217 currency code.")
    elif isinstance(field, GTIN):
        out.update(
            pattern=r"^\s*([0-9]{8}|[0-9]{12,14})\s*$",
            description="GTIN-8, -12, -13 or -14 with a correct GS1 check digit.",
        )
    elif isinstance(field, HSCode):
        out.update(
            pattern=r"^\s*[0-9][0-9.]{5,13}\s*$",
            description="Harmonized System code: 6, 8 (AHTN) or 10 digits; dots allowed.",
        )
    elif isinstance(field, Timestamp):
        out.update(
            format="date-time",
            pattern=TIMESTAMP,
            description="RFC 3339 timestamp with an offset, e.g. 2025-07-01T08:00:00+07:00.",
        )
    elif isinstance(field, (Url, fields.Url)):
        out.update(format="uri", pattern="^https?://")
    elif isinstance(field, Amount):
        number: dict[str, Any] = {"type": "number"}
        if field.minimum is not None:
            number["minimum"] = int(field.minimum)
        out.update(
            type=None,
            anyOf=[number, {"type": "string", "pattern": AMOUNT}],
            description='A decimal number; as a string it keeps full precision ("745209437.50").',
        )
    if isinstance(field, fields.List) and _unique in field.validators:
        out["uniqueItems"] = True
    if isinstance(field, fields.Dict) and isinstance(field.key_field, fields.String):
        keys = self.field2property(field.key_field)
        out["propertyNames"] = {k: v for k, v in keys.items() if k in ("minLength", "maxLength", "pattern")}
    return out


@cache
def _components() -> dict[str, dict[str, Any]]:
    """Every kind's record and the objects nested in it, keyed by component name."""
    plugin = MarshmallowPlugin(schema_name_resolver=name_of)
    spec = APISpec("OVOP exchange standard", STANDARD_VERSION, "3.1.0", plugins=[plugin])
    plugin.map_to_openapi_type(LangText, "object", None)  # type: ignore[no-untyped-call]  # untyped in apispec
    plugin.map_to_openapi_type(Amount, None, None)  # type: ignore[no-untyped-call]  # untyped in apispec
    plugin.converter.add_attribute_function(_standard_field)  # type: ignore[union-attr]
    for kind in KINDS:
        spec.components.schema(kind_name(kind), schema=SCHEMAS[kind])
    out = spec.to_dict()["components"]["schemas"]
    for cls, ignored in IGNORED.items():
        for target in [kind_name(k) for k in KINDS] if cls is Envelope else [name_of(cls)]:
            for key in sorted(ignored):
                out[target]["properties"].setdefault(
                    key,
                    {
                        **READ_ONLY.get(key, {}),
                        "readOnly": True,
                        "description": " ".join(
                            filter(
                                None,
                                (
                                    READ_ONLY.get(key, {}).get("description"),
                                    "(added by the hub on read; ignored on input)",
                                ),
                            )
                        ),
                    },
                )
    out[name_of(Place)]["minProperties"] = 1
    out[name_of(Category)]["allOf"] = _category_rules()
    out[name_of(Certification)]["allOf"] = _rating_rules()
    out[name_of(Certification)]["properties"]["scheme"]["enum"] = sorted(codelists.codes("rating-schemes"))
    out[name_of(Category)]["properties"]["scheme"]["enum"] = sorted((*codelists.category_schemes(), codelists.COMMON))
    for kind in KINDS:
        out[kind_name(kind)]["title"] = f"{kind}: a record of the OVOP exchange standard v{STANDARD_VERSION}"
        examples = load_examples().get(kind)
        if examples:
            out[kind_name(kind)]["examples"] = examples
    return _clean(out)


def _clean(value: Any) -> Any:
    """Drop apispec's parameter keywords and empty ``type`` placeholders."""
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items() if k not in _PARAMETER_KEYS and not (k == "type" and v is None)}
    if isinstance(value, list):
        return [_clean(v) for v in value]
    return value


def _category_rules() -> list[dict[str, Any]]:
    """The codes each category scheme admits (GET /api/v1/codelists/categories-*)."""
    return [
        {
            "if": {"properties": {"scheme": {"const": scheme}}, "required": ["scheme"]},
            "then": {"properties": {"code": {"enum": sorted(codelists.category_codes(scheme))}}},
        }
        for scheme in (*codelists.category_schemes(), codelists.COMMON)
    ]


def _rating_rules() -> list[dict[str, Any]]:
    """Each rating scheme's native scale: stars from min to max, or one of its marks."""
    rules = []
    for code in sorted(codelists.codes("rating-schemes")):
        scheme = codelists.rating_scheme(code) or {}
        if scheme.get("type") == "stars":
            then: dict[str, Any] = {
                "required": ["rating"],
                "not": {"required": ["mark"]},
                "properties": {
                    "rating": {"minimum": scheme.get("min", 1), "maximum": scheme["max"]},
                    "rating_max": {"const": scheme["max"]},
                },
            }
        else:
            then = {
                "required": ["mark"],
                "not": {"anyOf": [{"required": ["rating"]}, {"required": ["rating_max"]}]},
                "properties": {"mark": {"enum": list(scheme.get("marks") or [])}},
            }
        if scheme.get("levels"):
            then["properties"]["level"] = {"enum": list(scheme["levels"])}
        rules.append({"if": {"properties": {"scheme": {"const": code}}, "required": ["scheme"]}, "then": then})
    return rules


@cache
def load_examples() -> dict[str, list[dict[str, Any]]]:
    """Realistic records of each kind (Vietnamese and Thai), valid under the standard."""
    return json.loads(EXAMPLES.read_text(encoding="utf-8"))


def components(ref_prefix: str = OPENAPI_REFS) -> dict[str, dict[str, Any]]:
    """The named schema objects, references pointing at ``ref_prefix`` (OpenAPI by default)."""
    return _rebase(copy.deepcopy(_components()), ref_prefix)


def _rebase(value: Any, prefix: str) -> Any:
    if isinstance(value, dict):
        if isinstance(value.get("$ref"), str) and value["$ref"].startswith(OPENAPI_REFS):
            value["$ref"] = prefix + value["$ref"][len(OPENAPI_REFS) :]
        for sub in value.values():
            _rebase(sub, prefix)
    elif isinstance(value, list):
        for sub in value:
            _rebase(sub, prefix)
    return value


def _reachable(name: str, every: dict[str, dict[str, Any]]) -> list[str]:
    seen: list[str] = []
    todo = [name]
    while todo:
        current = todo.pop()
        if current in seen:
            continue
        seen.append(current)
        todo.extend(_refs(every[current]))
    return sorted(seen)


def _refs(value: Any) -> list[str]:
    if isinstance(value, dict):
        found = [value["$ref"].rsplit("/", 1)[1]] if isinstance(value.get("$ref"), str) else []
        return found + [r for sub in value.values() for r in _refs(sub)]
    if isinstance(value, list):
        return [r for sub in value for r in _refs(sub)]
    return []


def document(kind: str, schema_id: str | None = None) -> dict[str, Any]:
    """A standalone JSON Schema 2020-12 document for one record of ``kind``."""
    if kind not in SCHEMAS:
        raise KeyError(kind)
    every = components("#/$defs/")
    root = kind_name(kind)
    doc: dict[str, Any] = {"$schema": DIALECT}
    if schema_id:
        doc["$id"] = schema_id
    doc.update(
        title=f"OVOP exchange standard v{STANDARD_VERSION}: {kind}",
        description=f"One record of kind '{kind}'. A batch is {{\"records\": [...]}} of these, "
        "or NDJSON with one per line.",
        **{"x-standard-version": STANDARD_VERSION, "x-kind": kind},
    )
    doc["$ref"] = f"#/$defs/{root}"
    doc["$defs"] = {name: every[name] for name in _reachable(root, every)}
    return doc


def batch_document(kind: str, schema_id: str | None = None, max_records: int = 1000) -> dict[str, Any]:
    """``{"records": [...]}`` of ``kind``: the body of a batch write."""
    one = document(kind, schema_id)
    one["title"] = f"OVOP exchange standard v{STANDARD_VERSION}: a batch of {kind}"
    one.pop("$ref")
    one.update(
        type="object",
        required=["records"],
        additionalProperties=False,
        properties={
            "records": {"type": "array", "maxItems": max_records, "items": {"$ref": f"#/$defs/{kind_name(kind)}"}}
        },
    )
    return one


def bundle(schema_id: str | None = None) -> dict[str, Any]:
    """Every kind in one document: ``$defs`` by name, ``x-kinds`` maps each kind to its entry."""
    doc: dict[str, Any] = {"$schema": DIALECT}
    if schema_id:
        doc["$id"] = schema_id
    doc.update(
        title=f"OVOP exchange standard v{STANDARD_VERSION}: every kind",
        **{"x-standard-version": STANDARD_VERSION, "x-kinds": {kind: f"#/$defs/{kind_name(kind)}" for kind in KINDS}},
        anyOf=[{"$ref": f"#/$defs/{kind_name(kind)}"} for kind in KINDS],
        **{"$defs": components("#/$defs/")},
    )
    return doc
