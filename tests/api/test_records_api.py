"""Batch and single writes, reads, history: SPEC sections 3 and 4 through the HTTP API."""

from __future__ import annotations

import json
import unicodedata

import pytest

from tests.conftest import product

PROBLEM = "application/problem+json"


def batch(client, headers, records, kind="products", **kw):  # type: ignore[no-untyped-def]
    return client.post(f"/api/v1/{kind}/batch", json={"records": records}, headers=headers, **kw)


def test_batch_all_accepted_is_200(client, vn_writer) -> None:  # type: ignore[no-untyped-def]
    r = batch(client, vn_writer, [product(1), product(2)])
    assert r.status_code == 200
    body = r.get_json()
    assert [x["status"] for x in body["results"]] == ["created", "created"]
    assert body["summary"]["created"] == 2 and body["summary"]["total"] == 2


def test_batch_with_invalid_or_forbidden_is_207_in_input_order(client, vn_writer) -> None:  # type: ignore[no-untyped-def]
    r = batch(client, vn_writer, [product(1, gtin="1"), product(2), product(3, country="TH")])
    assert r.status_code == 207
    res = r.get_json()["results"]
    assert [(x["index"], x["status"]) for x in res] == [(0, "invalid"), (1, "created"), (2, "forbidden")]
    assert res[0]["errors"][0] == {"path": "gtin", "code": "gtin", "message": "A GTIN has 8, 12, 13 or 14 digits."}


def test_ndjson_batch_with_a_broken_line(client, vn_writer) -> None:  # type: ignore[no-untyped-def]
    body = json.dumps(product(1)) + "\n{broken\n" + json.dumps(product(2)) + "\n"
    r = client.post("/api/v1/products/batch", data=body, content_type="application/x-ndjson", headers=vn_writer)
    assert r.status_code == 207
    assert [x["status"] for x in r.get_json()["results"]] == ["created", "invalid", "created"]


def test_an_ndjson_line_that_is_not_json_says_so_with_its_line(client, vn_writer) -> None:  # type: ignore[no-untyped-def]
    body = json.dumps(product(1)) + "\n\n{broken\n"
    r = client.post(
        "/api/v1/products/batch",
        data=body,
        content_type="application/x-ndjson",
        headers={**vn_writer, "Idempotency-Key": "k1"},
    )
    error = r.get_json()["results"][1]["errors"]
    assert len(error) == 1 and error[0]["code"] == "json"
    assert error[0]["message"].startswith("Line 3: Not valid JSON:")
    again = client.post(
        "/api/v1/products/batch",
        data=body,
        content_type="application/x-ndjson",
        headers={**vn_writer, "Idempotency-Key": "k1"},
    )
    assert again.get_json()["results"][1]["errors"] == error


@pytest.mark.parametrize(
    "data, ctype, status",
    [
        ("{not json", "application/json", 400),
        ('{"items": []}', "application/json", 422),
        ("records=1", "application/x-www-form-urlencoded", 415),
    ],
)
def test_malformed_batches_are_problems(client, vn_writer, data, ctype, status) -> None:  # type: ignore[no-untyped-def]
    r = client.post("/api/v1/products/batch", data=data, content_type=ctype, headers=vn_writer)
    assert r.status_code == status and r.mimetype == PROBLEM
    assert r.get_json()["status"] == status and r.get_json()["title"]


def test_more_than_1000_records_is_413_and_writes_nothing(client, vn_writer, vn_reader) -> None:  # type: ignore[no-untyped-def]
    r = batch(client, vn_writer, [product(i) for i in range(1001)])
    assert r.status_code == 413 and r.mimetype == PROBLEM
    assert client.get("/api/v1/changes", headers=vn_reader).get_json()["changes"] == []


def test_more_than_the_byte_limit_is_413(client, vn_writer) -> None:  # type: ignore[no-untyped-def]
    big = product(1, description={"vi": "x" * 9000})
    r = batch(client, vn_writer, [dict(big, id=f"b{i}") for i in range(1200)])  # > 10 MiB
    assert r.status_code == 413 and r.mimetype == PROBLEM


def test_idempotency_key_replays_and_refuses_another_body(client, vn_writer) -> None:  # type: ignore[no-untyped-def]
    h = {**vn_writer, "Idempotency-Key": "k-1"}
    first = batch(client, h, [product(1)])
    again = batch(client, h, [product(1)])
    assert again.get_json() == first.get_json() and again.headers["Idempotent-Replayed"] == "true"
    assert again.get_json()["results"][0]["status"] == "created"  # the stored answer, not "unchanged"
    other = batch(client, h, [product(2)])
    assert other.status_code == 422 and other.mimetype == PROBLEM


def test_put_get_etag_304_if_match_412(client, vn_writer, vn_reader) -> None:  # type: ignore[no-untyped-def]
    r = client.put("/api/v1/products/VN/p1", json=product(1), headers=vn_writer)
    assert r.status_code == 201 and r.get_json()["status"] == "created"
    tag = r.headers["ETag"]
    got = client.get("/api/v1/products/VN/p1", headers=vn_reader)
    assert got.status_code == 200 and got.headers["ETag"] == tag
    assert got.get_json()["uid"] == "VN/products/p1" and got.get_json()["category"]["common"]
    assert client.get("/api/v1/products/VN/p1", headers={**vn_reader, "If-None-Match": tag}).status_code == 304
    stale = client.put(
        "/api/v1/products/VN/p1", json=product(1, package="1 kg"), headers={**vn_writer, "If-Match": '"0000"'}
    )
    assert stale.status_code == 412 and stale.mimetype == PROBLEM
    ok = client.put("/api/v1/products/VN/p1", json=product(1, package="1 kg"), headers={**vn_writer, "If-Match": tag})
    assert ok.status_code == 200 and ok.get_json()["version"] == 2 and ok.headers["ETag"] != tag


def test_put_invalid_is_422_with_field_errors(client, vn_writer) -> None:  # type: ignore[no-untyped-def]
    r = client.put(
        "/api/v1/products/VN/p1", json=product(1, price={"amount": "1,000", "currency": "VND"}), headers=vn_writer
    )
    assert r.status_code == 422 and r.mimetype == PROBLEM
    assert r.get_json()["errors"][0]["path"] == "price.amount"
    mismatch = client.put("/api/v1/products/VN/p2", json=product(1), headers=vn_writer)
    assert mismatch.status_code == 422


def test_put_fills_id_and_country_from_the_url(client, vn_writer) -> None:  # type: ignore[no-untyped-def]
    doc = {k: v for k, v in product(1).items() if k not in ("id", "country")}
    assert client.put("/api/v1/products/VN/p9", json=doc, headers=vn_writer).status_code == 201


def test_delete_then_gone(client, vn_writer, vn_reader) -> None:  # type: ignore[no-untyped-def]
    client.put("/api/v1/products/VN/p1", json=product(1), headers=vn_writer)
    r = client.delete("/api/v1/products/VN/p1", headers=vn_writer)
    assert r.status_code == 200 and r.get_json()["status"] == "deleted"
    gone = client.get("/api/v1/products/VN/p1", headers=vn_reader)
    assert gone.status_code == 410 and gone.get_json()["deleted"] is True
    assert client.delete("/api/v1/products/VN/nothing", headers=vn_writer).status_code == 404


def test_missing_record_is_404_problem(client, vn_reader) -> None:  # type: ignore[no-untyped-def]
    r = client.get("/api/v1/products/VN/none", headers=vn_reader)
    assert r.status_code == 404 and r.mimetype == PROBLEM


def test_history_and_one_version(client, vn_writer, th_reader) -> None:  # type: ignore[no-untyped-def]
    client.put("/api/v1/products/VN/p1", json=product(1), headers=vn_writer)
    client.put("/api/v1/products/VN/p1", json=product(1, package="2 kg"), headers=vn_writer)
    hist = client.get("/api/v1/products/VN/p1/versions", headers=th_reader).get_json()
    assert [v["version"] for v in hist] == [1, 2]
    v1 = client.get("/api/v1/products/VN/p1/versions/1", headers=th_reader).get_json()
    assert "package" not in v1 and v1["version"] == 1
    assert client.get("/api/v1/products/VN/p1/versions/9", headers=th_reader).status_code == 404


def test_lists_filter_and_paginate(client, vn_writer, th_writer, vn_reader) -> None:  # type: ignore[no-untyped-def]
    batch(
        client,
        vn_writer,
        [
            product(1, name={"vi": "Mắc ca Lê Anh"}),
            product(
                2,
                name={"vi": unicodedata.normalize("NFD", "Chè Tân Cương")},
                category={"scheme": "VN-OCOP-2023", "code": "1.5.1"},
                # dated: an undated VN-OCOP certificate's validity is unknown (standard 1.1)
                certifications=[{"scheme": "VN-OCOP", "rating": 5, "level": "central", "issued_on": "2025-03-01"}],
            ),
            product(3, name={"vi": "Gạo thơm"}, origin={"area": "VN-GSO:79"}, certifications=[]),
        ],
    )
    batch(
        client,
        th_writer,
        [
            product(
                4,
                country="TH",
                name={"th": "ผ้าไหม", "en": "Silk"},
                category={"scheme": "TH-OTOP", "code": "textiles-apparel"},
                certifications=[{"scheme": "TH-OTOP", "rating": 4}],
                origin={"area": "TH-90"},
                price={"amount": "500", "currency": "THB"},
            )
        ],
    )

    def ids(**params):  # type: ignore[no-untyped-def]
        r = client.get("/api/v1/products", query_string=params, headers=vn_reader)
        assert r.status_code == 200, r.get_data(as_text=True)
        return [i["id"] for i in r.get_json()["items"]]

    assert ids() == ["p4", "p1", "p2", "p3"]  # uid order: TH/... before VN/...
    assert ids(country="TH") == ["p4"]
    assert ids(q="che tan cuong") == ["p2"] and ids(q="CHÈ") == ["p2"] and ids(q="ไหม") == ["p4"]
    assert ids(rating_min=5) == ["p2"]
    assert ids(category="VN-OCOP-2023:1.5") == ["p2"]
    assert set(ids(category="textiles")) == {"p4"}
    assert ids(area="VN-GSO:79") == ["p3"]
    page = client.get("/api/v1/products", query_string={"limit": 2}, headers=vn_reader)
    first = page.get_json()
    assert len(first["items"]) == 2 and first["next_cursor"] and 'rel="next"' in page.headers["Link"]
    rest = client.get(
        "/api/v1/products", query_string={"limit": 2, "cursor": first["next_cursor"]}, headers=vn_reader
    ).get_json()
    assert len(rest["items"]) == 2 and rest["next_cursor"] is None
    assert {i["id"] for i in first["items"] + rest["items"]} == {"p1", "p2", "p3", "p4"}


def test_bad_list_parameters(client, vn_reader) -> None:  # type: ignore[no-untyped-def]
    for params, status in (
        ({"limit": 5000}, 422),
        ({"rating_min": "x"}, 422),
        ({"cursor": "!!"}, 400),
        ({"updated_after": "yesterday"}, 422),
        ({"bogus": 1}, 422),
    ):
        r = client.get("/api/v1/products", query_string=params, headers=vn_reader)
        assert (r.status_code, r.mimetype) == (status, PROBLEM), params


def test_updated_after(client, vn_writer, vn_reader) -> None:  # type: ignore[no-untyped-def]
    batch(client, vn_writer, [product(1)])
    later = client.get("/api/v1/products", query_string={"updated_after": "2999-01-01T00:00:00Z"}, headers=vn_reader)
    assert later.get_json()["items"] == []
    earlier = client.get(
        "/api/v1/products", query_string={"updated_after": "2000-01-01T00:00:00+07:00"}, headers=vn_reader
    )
    assert len(earlier.get_json()["items"]) == 1


def test_nul_in_text_is_an_invalid_record_on_every_engine(client, vn_writer) -> None:  # type: ignore[no-untyped-def]
    """PostgreSQL cannot store NUL: the standard refuses it per record, before any insert."""
    r = client.put("/api/v1/products/VN/p1", json=product(1, name={"vi": "Mắc\x00ca"}), headers=vn_writer)
    assert r.status_code == 422 and "control_character" in r.get_data(as_text=True)
    r = client.post(
        "/api/v1/products/batch", headers=vn_writer, json={"records": [product(2, name={"vi": "a\x00b"}), product(3)]}
    )
    assert r.status_code == 207
    assert [item["status"] for item in r.get_json()["results"]] == ["invalid", "created"]


def test_the_area_filter_uses_todays_area_and_the_old_code_stays_searchable(client, vn_writer, vn_reader) -> None:  # type: ignore[no-untyped-def]
    """Standard 1.1: Kiên Giang (VN-47) merged into An Giang (VN-GSO:91) in July 2025."""
    batch(
        client,
        vn_writer,
        [
            product(1, origin={"area": "VN-47"}),
            product(2, origin={"place": "Phú Quốc", "area_at_source": {"area": "VN-47", "on": "2024"}}),
            product(3, origin={"area": "VN-GSO:01"}),
        ],
    )

    def ids(area: str) -> list[str]:
        r = client.get("/api/v1/products", query_string={"area": area}, headers=vn_reader)
        assert r.status_code == 200, r.get_data(as_text=True)
        return sorted(i["id"] for i in r.get_json()["items"])

    assert ids("VN-GSO:91") == ids("VN-47") == ids("VN-44") == ["p1", "p2"]
    shown = client.get("/api/v1/products/VN/p1", headers=vn_reader).get_json()
    assert shown["origin"] == {"area": "VN-GSO:91", "area_at_source": {"area": "VN-47"}}


def test_nul_or_a_lone_surrogate_in_a_plain_string_field_is_invalid_per_record_not_a_500(client, vn_writer) -> None:  # type: ignore[no-untyped-def]
    """short_name, category_schemes, breakdown passed validation and broke the hash (a 500)."""
    org = {"id": "o1", "country": "VN", "name": {"en": "VCA"}, "type": "association", "short_name": "V\x00CA"}
    r = client.post(
        "/api/v1/organisations/batch",
        headers=vn_writer,
        json={"records": [org, {**org, "id": "o2", "short_name": "VCA"}]},
    )
    assert r.status_code == 207, r.get_data(as_text=True)
    assert [(i["status"], [e["code"] for e in i["errors"]]) for i in r.get_json()["results"]] == [
        ("invalid", ["control_character"]),
        ("created", []),
    ]
    prog = {
        "id": "ocop",
        "country": "VN",
        "name": {"vi": "OCOP"},
        "managing_agency": {"en": "MAE"},
        "category_schemes": ["VN-OCOP-2023\ud800"],
    }
    body = json.dumps({"records": [prog]})  # a lone surrogate travels as the JSON escape \ud800
    r = client.post("/api/v1/programmes/batch", headers={**vn_writer, "Content-Type": "application/json"}, data=body)
    assert r.status_code == 400 and "surrogate" in r.get_json()["detail"]  # the parser refuses it first
    prog["category_schemes"] = ["VN-OCOP\x00"]
    r = client.post("/api/v1/programmes/batch", headers=vn_writer, json={"records": [prog]})
    assert r.status_code == 207 and r.get_json()["results"][0]["errors"][0]["code"] == "control_character"
