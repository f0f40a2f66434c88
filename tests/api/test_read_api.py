"""The change feed, exports, stats, codelists, error answers and the OpenAPI document."""

from __future__ import annotations

import csv
import io
import json

from tests.conftest import product

PROBLEM = "application/problem+json"


def write(client, headers, *records):  # type: ignore[no-untyped-def]
    r = client.post("/api/v1/products/batch", json={"records": list(records)}, headers=headers)
    assert r.status_code == 200, r.get_data(as_text=True)


def test_feed_resumes_from_cursors_and_filters(client, vn_writer, th_writer, vn_reader) -> None:  # type: ignore[no-untyped-def]
    write(client, vn_writer, product(1), product(2))
    write(
        client,
        th_writer,
        product(
            3, country="TH", category={"scheme": "TH-OTOP", "code": "food"}, certifications=[], origin={"area": "TH-90"}
        ),
    )
    client.delete("/api/v1/products/VN/p1", headers=vn_writer)
    first = client.get("/api/v1/changes", query_string={"limit": 2}, headers=vn_reader).get_json()
    assert [(c["seq"], c["uid"], c["op"]) for c in first["changes"]] == [
        (1, "VN/products/p1", "upsert"),
        (2, "VN/products/p2", "upsert"),
    ]
    assert first["has_more"] is True and first["changes"][0]["record"]["version"] == 1
    rest = client.get("/api/v1/changes", query_string={"after": first["next_cursor"]}, headers=vn_reader).get_json()
    assert [(c["seq"], c["op"]) for c in rest["changes"]] == [(3, "upsert"), (4, "delete")]
    assert rest["has_more"] is False
    idle = client.get("/api/v1/changes", query_string={"after": rest["next_cursor"]}, headers=vn_reader).get_json()
    assert idle["changes"] == [] and idle["next_cursor"] == rest["next_cursor"]
    th_only = client.get("/api/v1/changes", query_string={"country": "TH"}, headers=vn_reader).get_json()
    assert [c["uid"] for c in th_only["changes"]] == ["TH/products/p3"]
    assert (
        client.get("/api/v1/changes", query_string={"kind": "producers"}, headers=vn_reader).get_json()["changes"] == []
    )
    bad = client.get("/api/v1/changes", query_string={"after": "garbage"}, headers=vn_reader)
    assert bad.status_code == 400 and bad.mimetype == PROBLEM


def test_exports_in_three_formats(client, vn_writer, vn_reader) -> None:  # type: ignore[no-untyped-def]
    write(client, vn_writer, product(1), product(2))
    nd = client.get("/api/v1/products/export", headers=vn_reader)
    assert nd.mimetype == "application/x-ndjson"
    assert [json.loads(line)["id"] for line in nd.get_data(as_text=True).splitlines()] == ["p1", "p2"]
    rows = list(
        csv.DictReader(
            io.StringIO(client.get("/api/v1/products/export?format=csv", headers=vn_reader).get_data(as_text=True))
        )
    )
    assert [r["uid"] for r in rows] == ["VN/products/p1", "VN/products/p2"]
    assert json.loads(rows[0]["name"]) == {"vi": "Mắc ca Lê Anh", "en": "Le Anh macadamia"}
    ld = client.get("/api/v1/products/export?format=jsonld", headers=vn_reader)
    graph = json.loads(ld.get_data(as_text=True))
    assert ld.mimetype == "application/ld+json" and graph["@context"] == "https://schema.org/"
    assert graph["@graph"][0]["hasCertification"][0]["@type"] == "Certification"
    assert client.get("/api/v1/products/export?format=xml", headers=vn_reader).status_code == 422


def test_stats(client, vn_writer, vn_reader) -> None:  # type: ignore[no-untyped-def]
    write(client, vn_writer, product(1), product(2))
    stats = client.get("/api/v1/stats", headers=vn_reader).get_json()
    assert stats["published"] == 2 and stats["by_country"] == {"VN": 2} and stats["by_kind"] == {"products": 2}
    assert stats["by_rating_band"] == {"4": 2} and stats["by_review_state"] == {"approved": 2}


def test_codelists(client, vn_reader) -> None:  # type: ignore[no-untyped-def]
    index = client.get("/api/v1/codelists", headers=vn_reader).get_json()["codelists"]
    names = {c["name"] for c in index}
    assert {"categories-VN-OCOP-2023", "rating-schemes", "areas", "VN-OCOP-2019--VN-OCOP-2023"} <= names
    one = client.get("/api/v1/codelists/rating-schemes", headers=vn_reader).get_json()
    assert "VN-OCOP" in {i["code"] for i in one["items"]}
    vn_areas = client.get("/api/v1/codelists/areas?country=VN", headers=vn_reader).get_json()
    assert "VN-GSO:01" in {i["code"] for i in vn_areas["items"]}
    assert client.get("/api/v1/codelists/nothing", headers=vn_reader).status_code == 404


def test_unknown_paths_and_methods_are_problems(client, vn_reader) -> None:  # type: ignore[no-untyped-def]
    r = client.get("/api/v1/widgets", headers=vn_reader)
    assert r.status_code == 404 and r.mimetype == PROBLEM
    r = client.patch("/api/v1/products/VN/p1", headers=vn_reader)
    assert r.status_code == 405 and r.mimetype == PROBLEM and "PUT" in r.headers["Allow"]


def test_no_server_error_for_odd_input(client, vn_writer) -> None:  # type: ignore[no-untyped-def]
    odd = [
        b"",
        b"null",
        b"[]",
        b"{}",
        b'{"records": null}',
        b'{"records": [null, 1, "x", []]}',
        b'{"records": [{"id": {"$gt": 1}, "country": "VN"}]}',
        b"\xff\xfe",
        b'{"records": [' + b"[" * 5000 + b"]",
    ]
    for body in odd:
        r = client.post("/api/v1/products/batch", data=body, content_type="application/json", headers=vn_writer)
        assert r.status_code < 500, (body[:30], r.status_code)
        r = client.put("/api/v1/products/VN/p1", data=body, content_type="application/json", headers=vn_writer)
        assert r.status_code < 500, (body[:30], r.status_code)


def test_rate_limit_is_429_with_retry_after(app, client, vn_reader) -> None:  # type: ignore[no-untyped-def]
    from dataclasses import replace

    hub = app.extensions["hub"]
    hub.settings = replace(hub.settings, rate_limit="3/minute")
    codes = [client.get("/api/v1/stats", headers=vn_reader).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    r = client.get("/api/v1/stats", headers=vn_reader)
    assert r.mimetype == PROBLEM and int(r.headers["Retry-After"]) > 0


def test_openapi_documents_every_route_and_the_oauth_scheme(app, client) -> None:  # type: ignore[no-untyped-def]
    spec = client.get("/api/v1/openapi.json").get_json()
    assert spec["components"]["securitySchemes"]["oauth2"]["flows"]["clientCredentials"]["tokenUrl"] == "/oauth/token"
    documented = {
        (path, method.upper())
        for path, ops in spec["paths"].items()
        for method in ops
        if method in ("get", "post", "put", "patch", "delete")
    }
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/") or "openapi.json" in rule.rule or "/docs" in rule.rule:
            continue
        path = rule.rule.replace("<int(max=2147483647):", "{").replace("<", "{").replace(">", "}")
        kinds = ("programmes", "organisations", "partnerships", "producers", "products", "indicators", "activities")
        for kind in kinds:  # the served document has one path per kind (hub/api/openapi.py)
            concrete = path.replace("{any(" + ",".join(kinds) + "):kind}", kind)
            for method in rule.methods - {"HEAD", "OPTIONS"}:
                assert (concrete, method) in documented, (concrete, method)
    batch = spec["paths"]["/api/v1/products/batch"]["post"]
    assert {"401", "403", "413", "415", "429"} <= set(batch["responses"])


def test_docs_are_served_without_a_cdn(client) -> None:  # type: ignore[no-untyped-def]
    page = client.get("/api/v1/docs").get_data(as_text=True)
    assert "/api/v1/docs/assets/swagger-ui-bundle.js" in page and "cdn" not in page.lower()
    with client.get("/api/v1/docs/assets/swagger-ui-bundle.js") as asset:
        assert asset.status_code == 200 and len(asset.get_data()) > 100_000


def test_huge_numbers_are_not_server_errors(client, vn_writer, vn_reader) -> None:  # type: ignore[no-untyped-def]
    import base64

    client.put("/api/v1/products/VN/p1", json=product(1), headers=vn_writer)
    r = client.get(f"/api/v1/products/VN/p1/versions/{10**30}", headers=vn_reader)
    assert r.status_code == 404 and r.mimetype == PROBLEM
    huge = base64.urlsafe_b64encode(str(10**30).encode()).decode()
    r = client.get("/api/v1/changes", query_string={"after": huge}, headers=vn_reader)
    assert r.status_code == 400 and r.mimetype == PROBLEM


def test_an_unexpected_error_is_a_problem_without_a_trace(app, client, vn_reader, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from hub.records import reads

    def broken(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise RuntimeError("database on fire")

    monkeypatch.setattr(reads, "stats", broken)
    r = client.get("/api/v1/stats", headers=vn_reader)
    assert r.status_code == 500 and r.mimetype == PROBLEM and "fire" not in r.get_data(as_text=True)


def test_a_value_the_database_refuses_is_400_not_500(app, client, vn_reader, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import sqlalchemy.exc

    from hub.records import reads

    def refused(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise sqlalchemy.exc.DataError("SELECT ...", {}, Exception("integer out of range"))

    monkeypatch.setattr(reads, "stats", refused)
    r = client.get("/api/v1/stats", headers=vn_reader)
    assert r.status_code == 400 and r.mimetype == PROBLEM and "out of range" not in r.get_data(as_text=True)
