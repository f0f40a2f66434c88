"""Retry-After only where it means something: 429 and 503 (RFC 9110 10.2.3, RFC 6585 4)."""

from __future__ import annotations

from dataclasses import replace

import sqlalchemy.exc

from hub.records import reads
from tests.conftest import product


def test_successful_and_client_error_answers_carry_no_retry_after(client, vn_writer, vn_reader) -> None:  # type: ignore[no-untyped-def]
    answers = [
        client.put("/api/v1/products/VN/p1", json=product(1), headers=vn_writer),
        client.get("/api/v1/products", headers=vn_reader),
        client.get("/api/v1/products/VN/p1", headers=vn_reader),
        client.get("/api/v1/products/VN/nothing", headers=vn_reader),
        client.put("/api/v1/products/VN/p1", json=product(1), headers={**vn_reader}),
    ]
    assert [r.status_code for r in answers] == [201, 200, 200, 404, 403]
    assert answers[1].headers["X-RateLimit-Limit"] == "1200"  # the limit is still announced
    for r in answers:
        assert "Retry-After" not in r.headers, (r.status_code, dict(r.headers))
        assert not any(k.lower().startswith("x-hub-limiter") for k in r.headers.keys())


def test_a_429_says_when_to_retry(app, client, vn_reader) -> None:  # type: ignore[no-untyped-def]
    hub = app.extensions["hub"]
    hub.settings = replace(hub.settings, rate_limit="2/minute")
    codes = [client.get("/api/v1/stats", headers=vn_reader).status_code for _ in range(3)]
    assert codes == [200, 200, 429]
    r = client.get("/api/v1/stats", headers=vn_reader)
    assert r.status_code == 429 and 0 < int(r.headers["Retry-After"]) <= 60


def test_a_503_keeps_its_own_retry_after(client, vn_reader, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    def down(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise sqlalchemy.exc.OperationalError("SELECT", {}, Exception("connection refused"))

    monkeypatch.setattr(reads, "list_records", down)
    r = client.get("/api/v1/products", headers=vn_reader)
    assert r.status_code == 503 and r.headers["Retry-After"] == "5"
