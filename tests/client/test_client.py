"""ovop_hub_client: retries with Retry-After, files in chunks, the feed with a saved cursor,
offline validation."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Iterator

import pytest
from ovop_hub_client import FeedFollower, HubClient

from tests.auth.helpers import make_client
from tests.conftest import product


class Flaky(BaseHTTPRequestHandler):
    """A token endpoint, and an API answering 429 (Retry-After: 1) then 503, then 200."""

    answers: list[int] = []
    seen: list[float] = []

    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self._send(200, {"access_token": "t", "token_type": "Bearer", "expires_in": 3600})

    def do_GET(self) -> None:  # noqa: N802
        Flaky.seen.append(time.monotonic())
        status = Flaky.answers.pop(0) if Flaky.answers else 200
        self._send(status, {"ok": status == 200}, {"Retry-After": "1"} if status == 429 else {})

    def _send(self, status: int, body: dict, headers: dict[str, str] | None = None) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        for key, value in {"Content-Type": "application/json", **(headers or {})}.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def flaky() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Flaky)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


def test_429_and_503_are_retried_waiting_as_retry_after_says(flaky: str) -> None:
    Flaky.answers, Flaky.seen = [429, 503], []
    with HubClient(flaky, "vn-x", client_secret="s", backoff=0.01) as hub:
        r = hub.get("/api/v1/whoami")
    assert r.status_code == 200 and len(Flaky.seen) == 3
    assert Flaky.seen[1] - Flaky.seen[0] >= 0.95  # Retry-After: 1


def test_without_retries_the_first_answer_is_returned(flaky: str) -> None:
    Flaky.answers, Flaky.seen = [503], []
    with HubClient(flaky, "vn-x", client_secret="s", retries=0) as hub:
        assert hub.get("/api/v1/whoami").status_code == 503 and len(Flaky.seen) == 1


def test_a_large_ndjson_file_goes_in_chunks_under_the_limits(live, hub, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    cid, secret = make_client(hub, "VN")
    lines = [json.dumps(product(i), ensure_ascii=False) for i in range(1, 2502)]
    lines.insert(1200, "{not json")
    lines.insert(5, json.dumps(product("bad", gtin="12")))
    f = tmp_path / "products.ndjson"
    f.write_text("\n".join(lines) + "\n\n", encoding="utf-8")
    with HubClient(live, cid, client_secret=secret) as partner:
        report = partner.send_file("products", f)
        assert report.chunks == 3 and report.counts["created"] == 2501 and report.counts["invalid"] == 2
        assert [line for line, _ in report.problems] == [6, 1202]
        assert report.problems[0][1]["errors"][0]["code"] == "gtin" and not report.ok
        again = partner.send_file("products", f)  # the same chunks: the stored answers
        assert again.counts["created"] == 2501
        small = partner.send_file("products", f, max_bytes=200_000)
        assert small.chunks > 3 and small.counts["invalid"] == 2
    with hub.sessions() as session:
        import sqlalchemy as sa

        from hub.store.models import Record

        assert session.scalar(sa.select(sa.func.count()).select_from(Record)) == 2501


def test_a_line_larger_than_a_batch_is_reported_not_sent(live, hub, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    cid, secret = make_client(hub, "VN")
    f = tmp_path / "p.ndjson"
    f.write_text(json.dumps(product(1)) + "\n" + json.dumps(product(2, package="x" * 5000)) + "\n")
    with HubClient(live, cid, client_secret=secret) as partner:
        report = partner.send_file("products", f, max_bytes=2000)
    assert report.counts == {"created": 1, "invalid": 1}
    assert report.problems[0][0] == 2 and report.problems[0][1]["errors"][0]["code"] == "too_large"


def test_the_feed_follower_resumes_from_its_saved_cursor(live, hub, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    cid, secret = make_client(hub, "VN")
    cursor = tmp_path / "cursor.txt"
    with HubClient(live, cid, client_secret=secret) as partner:
        partner.post("/api/v1/products/batch", json={"records": [product(i) for i in range(1, 6)]}).raise_for_status()
        first = [c["uid"] for c in partner.follower(cursor, limit=2).changes()]
        assert first == [f"VN/products/p{i}" for i in range(1, 6)] and cursor.read_text()
        assert list(FeedFollower(partner, cursor).changes()) == []
        partner.put("/api/v1/products/VN/p9", json=product(9)).raise_for_status()
        assert [c["uid"] for c in FeedFollower(partner, cursor, kind="products").changes()] == ["VN/products/p9"]
        polls: list[float] = []
        followed = list(FeedFollower(partner, cursor).follow(wait=7, stop=lambda: len(polls) >= 1, sleep=polls.append))
        assert followed == [] and polls == [7]


def test_offline_validation_uses_the_published_json_schema(live, hub) -> None:  # type: ignore[no-untyped-def]
    cid, secret = make_client(hub, "VN")
    with HubClient(live, cid, client_secret=secret) as partner:
        check = partner.offline_validator("products")
    assert not list(check.iter_errors(product(1)))
    assert list(check.iter_errors(product(1, country="Viet Nam")))
