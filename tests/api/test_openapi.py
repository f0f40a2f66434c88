"""The OpenAPI document carries the standard: per-kind paths, real schemas, examples."""

from __future__ import annotations

import json
from typing import Any

import pytest
from jsonschema import Draft202012Validator, FormatChecker
from openapi_spec_validator import validate as validate_openapi

import schemas
from tests.conftest import product

NAMES = {
    "programmes": "Programme",
    "organisations": "Organisation",
    "partnerships": "Partnership",
    "producers": "Producer",
    "products": "Product",
    "indicators": "Indicator",
    "activities": "Activity",
}


@pytest.fixture
def spec(client) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    return client.get("/api/v1/openapi.json").get_json()


def test_the_document_is_a_valid_openapi_3_1_document(spec) -> None:  # type: ignore[no-untyped-def]
    assert spec["openapi"].startswith("3.1")
    validate_openapi(spec)


@pytest.mark.parametrize("kind", schemas.KINDS)
def test_every_route_of_a_kind_uses_that_kinds_record_schema(spec, kind: str) -> None:  # type: ignore[no-untyped-def]
    name = NAMES[kind]
    paths = spec["paths"]
    batch = paths[f"/api/v1/{kind}/batch"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert batch == {"$ref": f"#/components/schemas/{name}Batch"}
    one = paths[f"/api/v1/{kind}/{{country}}/{{local_id}}"]
    assert one["put"]["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith(f"/{name}")
    assert one["get"]["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].endswith(f"/{name}")
    listed = paths[f"/api/v1/{kind}"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    assert listed["$ref"].endswith(f"/{name}Page")
    assert "/api/v1/{kind}/batch" not in paths
    record = spec["components"]["schemas"][name]
    assert record["additionalProperties"] is False and "id" in record["required"]


def test_codelists_are_enums_with_a_link_to_the_codelist(spec) -> None:  # type: ignore[no-untyped-def]
    org_type = spec["components"]["schemas"]["Organisation"]["properties"]["type"]
    assert "government-agency" in org_type["enum"]
    assert "/api/v1/codelists/organisation-types" in org_type["description"]
    rules = spec["components"]["schemas"]["Category"]["allOf"]
    assert any(
        r["if"]["properties"]["scheme"]["const"] == "TH-OTOP" and "food" in r["then"]["properties"]["code"]["enum"]
        for r in rules
    )


def test_problem_and_per_record_results_are_described(spec) -> None:  # type: ignore[no-untyped-def]
    comp = spec["components"]["schemas"]
    assert {"type", "title", "status", "detail"} <= set(comp["Problem"]["properties"])
    status = comp["Result"]["properties"]["status"]
    assert {"created", "invalid", "forbidden"} <= set(status["enum"])
    ok = spec["paths"]["/api/v1/products/batch"]["post"]["responses"]
    assert ok["207"]["content"]["application/json"]["schema"]["$ref"].endswith("/BatchResponse")
    assert ok["413"]["content"]["application/problem+json"]["schema"]["$ref"].endswith("/Problem")


@pytest.mark.parametrize("kind", schemas.KINDS)
def test_a_record_built_from_the_published_example_is_written(client, spec, vn_writer, th_writer, kind: str) -> None:  # type: ignore[no-untyped-def]
    examples = spec["components"]["schemas"][NAMES[kind]]["examples"]
    assert any("th" in json.dumps(e) for e in examples) and any(
        '"vi"' in json.dumps(e, ensure_ascii=False) for e in examples
    )
    for example in examples:
        headers = vn_writer if example["country"] == "VN" else th_writer
        r = client.post(f"/api/v1/{kind}/batch", json={"records": [example]}, headers=headers)
        assert r.status_code == 200, r.get_json()
        assert r.get_json()["results"][0]["status"] == "created"


def test_the_json_schema_route_publishes_each_kind_with_the_standards_version(client) -> None:  # type: ignore[no-untyped-def]
    r = client.get("/api/v1/standard/products.schema.json")
    assert r.status_code == 200 and r.mimetype == "application/schema+json"
    doc = r.get_json()
    assert doc["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert doc["$id"] == "http://localhost/api/v1/standard/products.schema.json"
    assert doc["x-standard-version"] == schemas.STANDARD_VERSION
    check = Draft202012Validator(doc, format_checker=FormatChecker())
    assert not list(check.iter_errors(product(1)))
    assert list(check.iter_errors(product(1, country="vn")))
    batch = client.get("/api/v1/standard/products.schema.json?batch=true").get_json()
    assert batch["properties"]["records"]["maxItems"] == 1000
    assert client.get("/api/v1/standard/products.schema.json?batch=maybe").status_code == 422
    assert client.get("/api/v1/standard/gadgets.schema.json").status_code == 404
