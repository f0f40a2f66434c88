"""The standard as JSON Schema 2020-12: demo data and examples pass, shape errors do not."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator, FormatChecker

import schemas
from schemas import jsonschema as js
from tests.conftest import product

DEMO = Path(__file__).resolve().parents[2] / "hub" / "demo"


def validator(kind: str) -> Draft202012Validator:
    doc = js.document(kind)
    Draft202012Validator.check_schema(doc)
    return Draft202012Validator(doc, format_checker=FormatChecker())


def errors(kind: str, record: Any) -> list[str]:
    return [e.message for e in validator(kind).iter_errors(record)]


@pytest.mark.parametrize("kind", schemas.KINDS)
def test_every_demo_record_and_example_is_valid_under_the_published_schema(kind: str) -> None:
    records = json.loads((DEMO / f"{kind}.json").read_text()) + js.load_examples()[kind]
    for record in records:
        assert schemas.validate(kind, record).ok
        assert errors(kind, record) == [], record["id"]


@pytest.mark.parametrize("kind", schemas.KINDS)
def test_examples_have_vietnamese_and_thai_text(kind: str) -> None:
    text = json.dumps(js.load_examples()[kind], ensure_ascii=False)
    assert '"vi":' in text and '"th":' in text
    assert {r["country"] for r in js.load_examples()[kind]} == {"VN", "TH"}


def test_records_as_the_hub_returns_them_validate_for_a_round_trip() -> None:
    doc = schemas.validate("products", product(1)).document
    read = schemas.enrich("products", doc) | {
        "uid": "VN/products/p1",
        "version": 2,
        "review": "approved",
        "hub_updated_at": "2026-01-01T00:00:00Z",
        "content_hash": "ab",
        "warnings": [],
    }
    read["category"]["label"] = "Food"
    assert errors("products", read) == []


def _set(record: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    out = copy.deepcopy(record)
    *parents, last = path.split(".")
    here: Any = out
    for key in parents:
        here = here[int(key)] if isinstance(here, list) else here[key]
    if value is _DROP:
        del here[last]
    elif isinstance(here, list):
        here[int(last)] = value
    else:
        here[last] = value
    return out


_DROP = object()
# (path, value): shape errors the standard refuses; the JSON Schema must refuse each too.
SHAPE_ERRORS = [
    ("name", _DROP),
    ("category", _DROP),
    ("id", "has space"),
    ("id", 12),
    ("country", "vn"),
    ("country", "XX"),
    ("colour", "red"),
    ("name", {}),
    ("name", "Mắc ca"),
    ("name", {"vi": ""}),
    ("name", {"not a tag!": "x"}),
    ("name", {"vi": "x" * 301}),
    ("type", "gift"),
    ("programme", "VN/producers/ocop"),
    ("producer", "bad ref with spaces"),
    ("category.code", "9.9.9"),
    ("category.scheme", "XX-NONE"),
    ("category.extra", 1),
    ("certifications.0.rating", 6),
    ("certifications.0.rating", "4"),
    ("certifications.0.rating_max", 10),
    ("certifications.0.mark", "premium"),
    ("certifications.0.scheme", "NOPE"),
    ("certifications.0.issued_on", "01/03/2025"),
    ("certifications.0.level", "galactic"),
    ("certifications", [{"scheme": "TH-OTOP-MARK", "rating": 3}]),
    ("origin", {}),
    ("coordinates", {"lat": 91, "lon": 0}),
    ("price.currency", "ZZZ"),
    ("price.amount", -1),
    ("price.amount", "12,000"),
    ("price.amount", True),
    ("images", ["ftp://x.example/a.jpg"]),
    ("url", "not a url"),
    ("source_updated_at", "2025-07-01T08:00:00"),
    ("phone", "0909"),
    ("origin.email", "a@b.example"),
    ("hs_code", "abc"),
    ("gtin", "12"),
]


@pytest.mark.parametrize(("path", "value"), SHAPE_ERRORS, ids=[f"{p}={v!r}"[:40] for p, v in SHAPE_ERRORS])
def test_the_json_schema_refuses_what_the_standard_refuses_for_shape_errors(path: str, value: Any) -> None:
    record = _set(product(1, coordinates={"lat": 10.5, "lon": 106.7}), path, value)
    assert not schemas.validate("products", record).ok
    assert errors("products", record), f"the JSON Schema accepted {path}={value!r}"


@pytest.mark.parametrize(
    ("kind", "path", "value"),
    [
        ("indicators", "unit", "litre"),
        ("indicators", "period", {"start": "2024-01-01"}),
        ("indicators", "breakdown", {"rating": 5}),
        ("partnerships", "partners", []),
        ("producers", "established_year", 1700),
        ("producers", "members", 2.5),
        ("activities", "type", "party"),
        ("organisations", "services", ["evaluation", "evaluation"]),
        ("programmes", "rating_schemes", ["XX"]),
        ("programmes", "phases", [{"ends_on": "2025-12-31"}]),
    ],
)
def test_other_kinds_refuse_their_shape_errors_too(kind: str, path: str, value: Any) -> None:
    record = _set(js.load_examples()[kind][0], path, value)
    assert not schemas.validate(kind, record).ok
    assert errors(kind, record), f"the JSON Schema accepted {kind} {path}={value!r}"


def test_the_cli_prints_each_kind_with_the_version_of_the_standard() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "schemas", "jsonschema", "producers"], capture_output=True, text=True, check=True
    ).stdout
    doc = json.loads(out)
    assert doc["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert doc["x-standard-version"] == schemas.STANDARD_VERSION and doc["$ref"] == "#/$defs/Producer"
    everything = json.loads(
        subprocess.run(
            [sys.executable, "-m", "schemas", "jsonschema"], capture_output=True, text=True, check=True
        ).stdout
    )
    Draft202012Validator.check_schema(everything)
    assert set(everything["x-kinds"]) == set(schemas.KINDS)
    batch = json.loads(
        subprocess.run(
            [sys.executable, "-m", "schemas", "jsonschema", "products", "--batch"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    )
    assert not list(Draft202012Validator(batch).iter_errors({"records": [product(1)]}))
    assert list(Draft202012Validator(batch).iter_errors({"records": [{"id": "x"}]}))


def test_an_unknown_kind_is_a_one_line_error() -> None:
    res = subprocess.run([sys.executable, "-m", "schemas", "jsonschema", "gadgets"], capture_output=True, text=True)
    assert res.returncode == 2 and "invalid choice" in res.stderr and "Traceback" not in res.stderr


def test_the_generator_stands_alone() -> None:
    code = (
        "import sys, schemas.jsonschema as j; j.document('products'); "
        "sys.exit(any(m.split('.')[0] in ('hub', 'flask', 'sqlalchemy') for m in sys.modules))"
    )
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0
