"""POST /api/v1/{kind}/validate: the results a batch would get, and nothing written."""

from __future__ import annotations

import dataclasses
import json

import sqlalchemy as sa

from hub.store.models import Change, Record, Revision
from tests.auth.helpers import partner_headers
from tests.conftest import product

PROBLEM = "application/problem+json"


def counts(hub) -> tuple[int, int, int]:  # type: ignore[no-untyped-def]
    with hub.sessions() as s:
        return tuple(s.scalar(sa.select(sa.func.count()).select_from(t)) for t in (Record, Revision, Change))  # type: ignore[return-value]


def test_answers_what_the_batch_would_and_writes_nothing(client, hub, vn_writer) -> None:  # type: ignore[no-untyped-def]
    client.post("/api/v1/products/batch", json={"records": [product(1), product(2)]}, headers=vn_writer)
    before = counts(hub)
    body = {
        "records": [
            product(1),
            product(2, package="Hũ 1 kg"),
            product(3),
            product(4, gtin="12"),
            product(5, country="TH"),
            product(6, country="FR"),
            "not a record",
        ]
    }
    checked = client.post("/api/v1/products/validate", json=body, headers=vn_writer)
    assert checked.status_code == 207
    assert counts(hub) == before
    assert client.get("/api/v1/products/VN/p3", headers=vn_writer).status_code == 404
    written = client.post("/api/v1/products/batch", json=body, headers=vn_writer)
    assert checked.get_json() == written.get_json()
    assert [r["status"] for r in checked.get_json()["results"]] == [
        "unchanged",
        "updated",
        "created",
        "invalid",
        "forbidden",
        "forbidden",
        "invalid",
    ]


def test_all_valid_is_200_and_warnings_are_reported(client, hub, vn_writer) -> None:  # type: ignore[no-untyped-def]
    r = client.post("/api/v1/products/validate", json={"records": [product(1, producer="nobody")]}, headers=vn_writer)
    assert r.status_code == 200 and r.get_json()["results"][0]["status"] == "created"
    assert r.get_json()["results"][0]["warnings"][0]["code"] == "reference_unknown"
    assert counts(hub) == (0, 0, 0)


def test_validate_scope_alone_is_enough_and_read_is_not(client, hub) -> None:  # type: ignore[no-untyped-def]
    validator = partner_headers(hub, client, "VN", ("exchange:validate",))
    reader = partner_headers(hub, client, "VN", ("exchange:read",))
    ok = client.post("/api/v1/products/validate", json={"records": [product(1)]}, headers=validator)
    assert ok.status_code == 200
    refused = client.post("/api/v1/products/validate", json={"records": [product(1)]}, headers=reader)
    assert refused.status_code == 403 and refused.mimetype == PROBLEM
    assert client.post("/api/v1/products/batch", json={"records": [product(1)]}, headers=validator).status_code == 403


def test_same_body_and_limits_as_a_batch(app, client, hub, vn_writer) -> None:  # type: ignore[no-untyped-def]
    served = app.extensions["hub"]
    served.settings = dataclasses.replace(served.settings, batch_max_records=2)
    many = client.post("/api/v1/products/validate", json={"records": [product(i) for i in range(3)]}, headers=vn_writer)
    assert many.status_code == 413 and many.mimetype == PROBLEM
    assert (
        client.post("/api/v1/products/validate", data="x", content_type="text/plain", headers=vn_writer).status_code
        == 415
    )
    assert client.post("/api/v1/products/validate", json={"items": []}, headers=vn_writer).status_code == 422
    ndjson = json.dumps(product(1)) + "\n{oops\n"
    r = client.post("/api/v1/products/validate", data=ndjson, content_type="application/x-ndjson", headers=vn_writer)
    assert r.status_code == 207 and r.get_json()["results"][1]["errors"][0]["message"].startswith(
        "Line 2: Not valid JSON"
    )
    assert counts(hub) == (0, 0, 0)
