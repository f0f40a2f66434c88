"""Deeply nested records over HTTP (issue 11, item 1): a per-record error, never a 500."""

from __future__ import annotations

import json

from tests.conftest import product

PROBLEM = "application/problem+json"


def deep(i: int, levels: int) -> str:
    """A product whose description nests ``levels`` arrays (written as text: no encoder recurses)."""
    return json.dumps(product(i, description={"vi": "@"})).replace('"@"', "[" * levels + "]" * levels)


def test_a_970_level_record_is_invalid_and_its_valid_neighbour_is_created(client, vn_writer) -> None:  # type: ignore[no-untyped-def]
    body = '{"records": [' + json.dumps(product(1)) + "," + deep(2, 970) + "]}"
    r = client.post("/api/v1/products/batch", data=body, content_type="application/json", headers=vn_writer)
    assert r.status_code == 207, r.get_data(as_text=True)[:300]
    first, second = r.get_json()["results"]
    assert first["status"] == "created"
    assert second["status"] == "invalid" and second["errors"][0]["code"] == "too_deep"
    assert second["errors"][0]["path"] == "description"


def test_an_ndjson_line_past_the_parsers_limit_is_invalid_on_its_own(client, vn_writer) -> None:  # type: ignore[no-untyped-def]
    body = "\n".join([json.dumps(product(1)), deep(2, 1100), "{broken", json.dumps(product(3))]) + "\n"
    r = client.post("/api/v1/products/batch", data=body, content_type="application/x-ndjson", headers=vn_writer)
    assert r.status_code == 207
    results = r.get_json()["results"]
    assert [x["status"] for x in results] == ["created", "invalid", "invalid", "created"]
    assert results[1]["errors"][0]["code"] == "too_deep" and results[2]["errors"][0]["code"] == "json"


def test_a_json_body_past_the_parsers_limit_is_a_400_problem(client, vn_writer) -> None:  # type: ignore[no-untyped-def]
    body = '{"records": [' + deep(1, 1100) + "]}"
    r = client.post("/api/v1/products/batch", data=body, content_type="application/json", headers=vn_writer)
    assert r.status_code == 400 and r.mimetype == PROBLEM
    assert r.get_json()["errors"][0]["code"] == "too_deep"
    r = client.put("/api/v1/products/VN/p1", data=deep(1, 1100), content_type="application/json", headers=vn_writer)
    assert r.status_code == 400 and r.mimetype == PROBLEM


def test_a_single_record_too_deep_is_422_with_the_code(client, vn_writer) -> None:  # type: ignore[no-untyped-def]
    r = client.put("/api/v1/products/VN/p1", data=deep(1, 970), content_type="application/json", headers=vn_writer)
    assert r.status_code == 422 and r.get_json()["errors"][0]["code"] == "too_deep"


def test_the_2_mb_unknown_field_shape_over_http_is_one_invalid_record(client, vn_writer) -> None:  # type: ignore[no-untyped-def]
    nest = "".join('{"%04d%s":' % (i, "k" * 2_500) for i in range(800)) + "true" + "}" * 800
    record = json.dumps(product(2, extra="@")).replace('"@"', nest)
    body = '{"records": [' + json.dumps(product(1)) + "," + record + "]}"
    assert len(body) > 2_000_000
    r = client.post("/api/v1/products/batch", data=body, content_type="application/json", headers=vn_writer)
    assert r.status_code == 207
    first, second = r.get_json()["results"]
    assert first["status"] == "created"
    assert [(e["path"], e["code"]) for e in second["errors"]] == [("extra", "unknown_field")]
