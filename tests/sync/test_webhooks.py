"""Webhooks over real HTTP: a receiver on 127.0.0.1 that verifies every signature and
fails on purpose a few times; retries with backoff, the dead letter after the limit, the
delivery log through the API, nothing lost and nothing out of order."""

from __future__ import annotations

import threading
import time
from typing import Any, Iterator

import orjson
import pytest
import sqlalchemy as sa
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from hub.actors import Actor
from hub.sync import webhooks
from hub.webhooks import subscriptions
from hub.webhooks.subscriptions import Delivery, Subscription
from tests.auth.helpers import bearer, get_token, make_client
from tests.conftest import product
from tests.sync.conftest import publish_on_write

SECRET = "a-shared-secret-known-to-both-ends"
VN = Actor("client:vn", "VN")


class Receiver:
    """A subscriber: checks X-Hub-Signature-256 over X-Hub-Timestamp and the body with the
    shared secret (and the timestamp's freshness), fails ``failures`` times."""

    def __init__(self, failures: int = 0, ssl_context: Any = None) -> None:
        self.failures = failures
        self.bodies: list[dict[str, Any]] = []
        self.raw: list[bytes] = []
        self.raw_attempts: list[bytes] = []
        self.attempts: list[tuple[str, int]] = []  # (X-Hub-Delivery, status answered)
        self.headers: list[dict[str, str]] = []
        self.server = make_server("127.0.0.1", 0, self.wsgi, threaded=True, ssl_context=ssl_context)
        self.url = f"{'https' if ssl_context else 'http'}://127.0.0.1:{self.server.server_port}/hook"
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    def wsgi(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        body = request.get_data()
        self.headers.append(dict(request.headers))
        self.raw_attempts.append(body)
        if not subscriptions.verify(
            SECRET, body, request.headers.get("X-Hub-Signature-256"), request.headers.get("X-Hub-Timestamp")
        ):
            status = 401
        elif self.failures > 0:
            self.failures -= 1
            status = 500
        else:
            self.bodies.append(orjson.loads(body))
            self.raw.append(body)
            status = 204
        self.attempts.append((request.headers.get("X-Hub-Delivery", ""), status))
        return Response(status=status)(environ, start_response)

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.stop()


@pytest.fixture
def admin(shub, client) -> dict[str, str]:  # type: ignore[no-untyped-def]
    cid, secret = make_client(shub, "VN", ("admin",), name="secretariat")
    return bearer(get_token(client, cid, secret))  # type: ignore[arg-type]


def subscribe(client, admin, receiver, **body: Any) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    r = client.post("/api/v1/subscriptions", headers=admin, json={"url": receiver.url, "secret": SECRET, **body})
    assert r.status_code == 201, r.get_json()
    return r.get_json()


def deliver_until(hub, done, rounds: int = 100) -> webhooks.Deliverer:  # type: ignore[no-untyped-def]
    deliverer = webhooks.Deliverer(hub)
    for _ in range(rounds):
        deliverer.run()
        if done():
            return deliverer
        time.sleep(0.01)  # the backoff is milliseconds in these tests
    raise AssertionError("deliveries did not settle")


def test_signed_deliveries_are_retried_until_the_receiver_accepts(shub, client, admin, receiver) -> None:  # type: ignore[no-untyped-def]
    publish_on_write(shub, "VN", "TH")
    sub = subscribe(client, admin, receiver, kinds=["products"], countries=["VN"])
    receiver.failures = 2
    shub.writes.write(VN, "products", [product(1), product(2)], source="api")
    shub.writes.write(
        Actor("client:th", "TH"),
        "products",
        [
            {
                "id": "t1",
                "country": "TH",
                "name": {"th": "ผ้าไหม"},
                "category": {"scheme": "TH-OTOP", "code": "textiles-apparel"},
            }
        ],
        source="api",
    )  # not subscribed

    deliver_until(shub, lambda: receiver.bodies)
    assert [c["uid"] for c in receiver.bodies[0]["changes"]] == ["VN/products/p1", "VN/products/p2"]
    assert receiver.bodies[0]["changes"][0]["record"]["name"]["vi"] == "Mắc ca Lê Anh"
    assert [status for _, status in receiver.attempts] == [500, 500, 204]
    assert len({delivery for delivery, _ in receiver.attempts}) == 1  # the same delivery id each time

    shub.writes.write(VN, "products", [product(3)], source="api")
    deliver_until(shub, lambda: len(receiver.bodies) == 2)
    assert [c["uid"] for c in receiver.bodies[1]["changes"]] == ["VN/products/p3"]

    log = client.get(f"/api/v1/subscriptions/{sub['id']}/deliveries", headers=admin).get_json()
    assert [d["status"] for d in log["items"]] == ["delivered", "delivered"]
    first = log["items"][1]
    assert (first["attempts"], first["count"], first["last_status_code"]) == (3, 2, 204)
    assert [a["status"] for a in first["log"]] == [500, 500, 204]
    assert first["log"][0]["error"] == "HTTP 500"
    listed = client.get("/api/v1/subscriptions", headers=admin).get_json()["items"]
    assert listed[0]["deliveries"] == {"pending": 0, "delivered": 2, "dead": 0}


def test_a_delivery_is_dead_lettered_after_the_limit_and_the_rest_go_on(shub, client, admin, receiver) -> None:  # type: ignore[no-untyped-def]
    publish_on_write(shub, "VN")
    sub = subscribe(client, admin, receiver)
    receiver.failures = 1000
    shub.writes.write(VN, "products", [product(1)], source="api")
    deliver_until(shub, lambda: dead(shub) == 1)
    assert [status for _, status in receiver.attempts] == [500] * shub.settings.webhook_attempts

    shub.writes.write(VN, "products", [product(2)], source="api")  # after the dead one: still delivered
    receiver.failures = 0
    deliver_until(shub, lambda: receiver.bodies)
    assert [c["uid"] for c in receiver.bodies[0]["changes"]] == ["VN/products/p2"]
    log = client.get(f"/api/v1/subscriptions/{sub['id']}/deliveries?status=dead", headers=admin).get_json()
    assert len(log["items"]) == 1 and log["items"][0]["attempts"] == shub.settings.webhook_attempts
    with shub.sessions() as s:
        kept = s.scalar(sa.select(Delivery).where(Delivery.status == "dead"))
        assert orjson.loads(kept.body)["changes"][0]["uid"] == "VN/products/p1"  # kept for a replay


def test_changes_written_while_a_delivery_waits_follow_it_in_order(shub, client, admin, receiver) -> None:  # type: ignore[no-untyped-def]
    publish_on_write(shub, "VN")
    subscribe(client, admin, receiver)
    receiver.failures = 1
    shub.writes.write(VN, "products", [product(1)], source="api")
    webhooks.Deliverer(shub).run()  # first attempt fails; the delivery waits for its retry
    for n in range(2, 5):
        shub.writes.write(VN, "products", [product(n)], source="api")
    deliver_until(shub, lambda: sum(len(b["changes"]) for b in receiver.bodies) == 4)
    seqs = [c["seq"] for b in receiver.bodies for c in b["changes"]]
    assert seqs == sorted(seqs) and len(seqs) == 4


def test_a_subscription_starts_at_the_end_of_the_feed_or_at_a_cursor(shub, client, admin, receiver) -> None:  # type: ignore[no-untyped-def]
    publish_on_write(shub, "VN")
    shub.writes.write(VN, "products", [product(1)], source="api")
    from_now = subscribe(client, admin, receiver)
    from hub.records import cursors

    replay = subscribe(client, admin, receiver, after=cursors.encode(0))
    deliver_until(shub, lambda: receiver.bodies)
    assert len(receiver.bodies) == 1  # only the replaying subscription had something to send
    assert (cursors.decode(from_now["cursor"], int), cursors.decode(replay["cursor"], int)) == (1, 0)
    with shub.sessions() as s:
        assert s.get(Subscription, from_now["id"]).cursor == 1
        assert SECRET not in s.get(Subscription, from_now["id"]).secret  # sealed at rest


def dead(hub) -> int:  # type: ignore[no-untyped-def]
    with hub.sessions() as s:
        return s.scalar(sa.select(sa.func.count()).select_from(Delivery).where(Delivery.status == "dead")) or 0
