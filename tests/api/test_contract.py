"""The contract check (tests/api/contract.py) catches a body that is not what the document
declares, and the orjson answers (records, pages, results, the feed) pass it."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from hub.curation.members import set_policy
from hub.store.db import transaction
from tests.api import contract
from tests.conftest import product

JSON = "application/json"


@pytest.fixture
def doc(app) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    return contract.document(app)


def test_a_record_page_or_feed_that_drifts_from_its_schema_is_caught(doc) -> None:  # type: ignore[no-untyped-def]
    page = {"items": [{"id": "p1", "country": "VN"}], "next_cursor": None}  # a product needs a name
    assert contract.violations(doc, "get", "/api/v1/products", 200, JSON, orjson.dumps(page))
    change = {"seq": "1", "kind": "products", "uid": "VN/products/p1", "op": "upsert", "version": 1, "record": {}}
    feed = {"next_cursor": "x", "has_more": False, "changes": [change]}
    assert any("seq" in v for v in contract.violations(doc, "get", "/api/v1/changes", 200, JSON, orjson.dumps(feed)))
    result = {"index": 0, "uid": "VN/products/p1", "status": "kept", "errors": [], "warnings": []}
    assert contract.violations(doc, "put", "/api/v1/products/{country}/{local_id}", 200, JSON, orjson.dumps(result))
    undocumented = contract.violations(doc, "get", "/api/v1/stats", 299, JSON, b"{}")  # only errors by default
    assert undocumented == ["GET /api/v1/stats -> 299: application/json body, documented: ['application/problem+json']"]


def test_written_read_deleted_and_fed_records_match_the_document(client, hub, vn_writer, doc) -> None:  # type: ignore[no-untyped-def]
    """Each answer here is checked by the autouse contract fixture; the asserts say the
    shapes it found wrong before are now documented as they are."""
    one = "/api/v1/products/VN/p1"
    assert client.put(one, json=product(1), headers=vn_writer).status_code == 201
    assert client.put(one, json=product(1, gtin="12345670"), headers=vn_writer).status_code == 200
    assert (
        client.post("/api/v1/products/batch", json={"records": [product(2), {"id": 3}]}, headers=vn_writer).status_code
        == 207
    )
    assert client.get("/api/v1/products?limit=1", headers=vn_writer).get_json()["next_cursor"]
    assert client.get(f"{one}/versions", headers=vn_writer).status_code == 200
    assert client.delete(one, headers=vn_writer).get_json()["status"] == "deleted"
    assert client.get(one, headers=vn_writer).status_code == 410
    with transaction(hub.sessions) as s:
        set_policy(s, "test", "VN", "required")
    client.put("/api/v1/products/VN/p4", json=product(4), headers=vn_writer)
    feed = client.get("/api/v1/changes?include=own", headers=vn_writer).get_json()
    assert [c["op"] for c in feed["changes"]] == ["upsert", "upsert", "upsert", "delete"]
    assert [o["uid"] for o in feed["own"]] == ["VN/products/p4"]
    put = doc["paths"]["/api/v1/products/{country}/{local_id}"]
    assert put["put"]["responses"]["201"]["content"][JSON]["schema"]["$ref"].endswith("/Result")
    assert put["delete"]["responses"]["200"]["content"][JSON]["schema"]["$ref"].endswith("/Result")
    assert put["get"]["responses"]["410"]["content"][JSON]["schema"]["$ref"].endswith("/Tombstone")
