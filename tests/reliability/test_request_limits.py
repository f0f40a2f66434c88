"""Limits of a request through the real server (gunicorn): the body, the request line, headers.

werkzeug's test client sends every body with a Content-Length; only a real server shows
what a partner's ``Transfer-Encoding: chunked`` body (``requests`` with a generator) does.
"""

from __future__ import annotations

import json
from typing import Any, Iterator

import pytest
import requests

from tests.conftest import product

from .conftest import Prepared
from .server import HTTP_TIMEOUT, HubServer, token

LIMIT = 10 * 1024 * 1024  # batch_max_bytes, the default
PROBLEM = "application/problem+json"


@pytest.fixture
def base(server: HubServer) -> str:
    return server.start()


def _auth(base: str, prepared: Prepared) -> dict[str, str]:
    return {"Authorization": "Bearer " + token(base, prepared.client_id, prepared.secret)}


def _chunks(*parts: bytes) -> Iterator[bytes]:
    """A generator body: requests sends it with Transfer-Encoding: chunked."""
    for part in parts:
        for i in range(0, len(part), 1 << 20):
            yield part[i : i + (1 << 20)]


def _line(i: int) -> bytes:
    return json.dumps(product(i)).encode() + b"\n"


def _post(base: str, headers: dict[str, str], body: Iterator[bytes], ctype: str) -> requests.Response:
    return requests.post(
        base + "/api/v1/products/batch", data=body, timeout=HTTP_TIMEOUT, headers={**headers, "Content-Type": ctype}
    )


def _count(base: str, headers: dict[str, str]) -> int:
    r = requests.get(base + "/api/v1/products", headers=headers, timeout=HTTP_TIMEOUT)
    assert r.status_code == 200, r.text
    return len(r.json()["items"])


def _is_problem(r: requests.Response, status: int) -> dict[str, Any]:
    assert r.status_code == status, r.text[:300]
    assert r.headers["Content-Type"].startswith(PROBLEM), r.headers
    body = r.json()
    assert body["status"] == status and body["title"]
    return body


def test_a_chunked_ndjson_body_over_the_limit_is_413_and_writes_nothing(base, prepared) -> None:  # type: ignore[no-untyped-def]
    h = _auth(base, prepared)
    long_line = b'{"id": "long", "country": "VN", "x": "' + b"y" * LIMIT + b'"}\n'
    body = _chunks(b"".join(_line(i) for i in range(3)), long_line, b"".join(_line(i) for i in range(3, 6)))
    r = _post(base, h, body, "application/x-ndjson")
    assert r.request.headers.get("Transfer-Encoding") == "chunked"
    _is_problem(r, 413)
    assert _count(base, h) == 0


def test_a_chunked_json_body_over_the_limit_is_413_not_malformed(base, prepared) -> None:  # type: ignore[no-untyped-def]
    h = _auth(base, prepared)
    big = product(1, description={"vi": "x" * (LIMIT + 10)})
    r = _post(base, h, _chunks(json.dumps({"records": [big, product(2)]}).encode()), "application/json")
    assert r.request.headers.get("Transfer-Encoding") == "chunked"
    _is_problem(r, 413)
    assert _count(base, h) == 0


def test_chunked_bodies_under_the_limit_are_written_whole(base, prepared) -> None:  # type: ignore[no-untyped-def]
    h = _auth(base, prepared)
    # NDJSON just under the limit: six records around a long (invalid) line
    filler = LIMIT - 6 * len(_line(0)) - 200
    long_line = b'{"id": "long", "country": "VN", "x": "' + b"y" * filler + b'"}\n'
    body = _chunks(b"".join(_line(i) for i in range(3)), long_line, b"".join(_line(i) for i in range(3, 6)))
    r = _post(base, h, body, "application/x-ndjson")
    assert r.status_code == 207, r.text[:300]
    assert [x["status"] for x in r.json()["results"]] == ["created"] * 3 + ["invalid"] + ["created"] * 3
    # JSON exactly at the limit is not over it
    doc = {"records": [product(10 + i) for i in range(3)]}
    raw = json.dumps(doc).encode()
    raw = raw[:-1] + b" " * (LIMIT - len(raw)) + b"}"
    assert len(raw) == LIMIT
    r = _post(base, h, _chunks(raw), "application/json")
    assert r.status_code == 200, r.text[:300]
    assert r.json()["summary"]["created"] == 3
    assert _count(base, h) == 9


def test_a_content_length_body_over_the_limit_is_413_too(base, prepared) -> None:  # type: ignore[no-untyped-def]
    h = _auth(base, prepared)
    body = json.dumps({"records": [product(1, description={"vi": "x" * LIMIT})]}).encode()
    r = requests.post(
        base + "/api/v1/products/batch",
        data=body,
        timeout=HTTP_TIMEOUT,
        headers={**h, "Content-Type": "application/json"},
    )
    assert "Content-Length" in r.request.headers
    _is_problem(r, 413)
    assert _count(base, h) == 0


@pytest.mark.parametrize("threads", ["1", "4"])  # gunicorn's sync and gthread workers
def test_over_long_request_lines_and_headers_are_problems_too(prepared, tmp_path, threads) -> None:  # type: ignore[no-untyped-def]
    srv = HubServer(prepared.env, tmp_path / "server.log", workers=1, options=("--threads", threads))
    try:
        base = srv.start()
        h = _auth(base, prepared)
        line = requests.get(base + "/api/v1/products?q=" + "x" * 5000, headers=h, timeout=HTTP_TIMEOUT)
        assert _is_problem(line, 414)["code"] == "request_line_too_long"
        field = requests.get(base + "/api/v1/products", headers={**h, "X-Big": "y" * 9000}, timeout=HTTP_TIMEOUT)
        assert _is_problem(field, 431)["code"] == "header_fields_too_large"
        many = requests.get(
            base + "/api/v1/products", timeout=HTTP_TIMEOUT, headers={**h, **{f"X-N{i}": "1" * 10 for i in range(120)}}
        )
        assert _is_problem(many, 431)["code"] == "header_fields_too_large"
        # at the limit the request reaches the app (which finds q too long: 200 characters)
        room = 4094 - len("GET /api/v1/products?q= HTTP/1.1")
        app = requests.get(base + "/api/v1/products?q=" + "x" * room, headers=h, timeout=HTTP_TIMEOUT)
        assert _is_problem(app, 422)["errors"][0]["path"] == "q"
    finally:
        srv.stop()
