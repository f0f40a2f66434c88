"""``If-Match: *`` (RFC 9110 13.1.1): true for any current representation, false without one."""

from __future__ import annotations

from tests.conftest import product

PROBLEM = "application/problem+json"
ANY = {"If-Match": "*"}


def test_if_match_star_updates_and_deletes_an_existing_record(client, vn_writer, vn_reader) -> None:  # type: ignore[no-untyped-def]
    assert client.put("/api/v1/products/VN/p1", json=product(1), headers=vn_writer).status_code == 201
    r = client.put("/api/v1/products/VN/p1", json=product(1, package="1 kg"), headers={**vn_writer, **ANY})
    assert r.status_code == 200 and r.get_json()["status"] == "updated" and r.get_json()["version"] == 2
    r = client.delete("/api/v1/products/VN/p1", headers={**vn_writer, **ANY})
    assert r.status_code == 200 and r.get_json()["status"] == "deleted"
    assert client.get("/api/v1/products/VN/p1", headers=vn_reader).status_code == 410


def test_if_match_star_fails_without_a_current_record(client, vn_writer, vn_reader) -> None:  # type: ignore[no-untyped-def]
    missing = client.put("/api/v1/products/VN/p9", json=product(9), headers={**vn_writer, **ANY})
    assert missing.status_code == 412 and missing.mimetype == PROBLEM
    assert client.get("/api/v1/products/VN/p9", headers=vn_reader).status_code == 404  # nothing created
    # a deleted record has no current representation either
    assert client.put("/api/v1/products/VN/p1", json=product(1), headers=vn_writer).status_code == 201
    assert client.delete("/api/v1/products/VN/p1", headers=vn_writer).status_code == 200
    again = client.delete("/api/v1/products/VN/p1", headers={**vn_writer, **ANY})
    assert again.status_code == 412 and again.mimetype == PROBLEM
    revive = client.put("/api/v1/products/VN/p1", json=product(1), headers={**vn_writer, **ANY})
    assert revive.status_code == 412
    # without the condition the same requests go through: DELETE of nothing is 404 (RFC 9110
    # 13.2.1: preconditions are ignored where the answer would not be 2xx anyway)
    assert client.delete("/api/v1/products/VN/p9", headers={**vn_writer, **ANY}).status_code == 404
    assert client.put("/api/v1/products/VN/p1", json=product(1), headers=vn_writer).status_code == 200
