"""``hub subscriptions ...`` and ``hub webhooks replay``: the operator sees every
subscription, and dead letters go out again in their order, audited (issue 18)."""

from __future__ import annotations

import json
from typing import Any

import orjson
import sqlalchemy as sa

from hub.store.db import transaction
from hub.store.models import AuditEntry
from hub.webhooks import subscriptions
from hub.webhooks.subscriptions import Delivery
from tests.auth.helpers import make_client
from tests.conftest import product
from tests.sync.conftest import publish_on_write
from tests.sync.test_sync_cli import invoke
from tests.sync.test_webhooks import SECRET, VN, Receiver, dead, deliver_until

LOOPBACK = {"WEBHOOK_ALLOW_HTTP": "true", "WEBHOOK_ALLOWED_NETWORKS": "127.0.0.1/32"}


def hub_cli(shub, monkeypatch, *args: str) -> Any:  # type: ignore[no-untyped-def]
    return invoke(shub, monkeypatch, *args, **LOOPBACK)


def test_subscriptions_from_the_command_line(shub, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    owner, _ = make_client(shub, "VN", ("admin",), name="VN portal")
    made = hub_cli(
        shub,
        monkeypatch,
        "subscriptions",
        "create",
        "--url",
        "http://127.0.0.1:9/hook",
        "--kind",
        "products",
        "--country",
        "vn",
        "--owner",
        owner,
    )
    assert made.exit_code == 0, made.output
    sub = json.loads(made.output)
    assert sub["countries"] == ["VN"] and len(sub["secret"]) >= 32 and sub["owner"] == owner
    listed = hub_cli(shub, monkeypatch, "subscriptions", "list")
    assert f"{sub['id']}  http://127.0.0.1:9/hook  owner={owner}  kinds=products countries=VN" in listed.output
    assert hub_cli(shub, monkeypatch, "subscriptions", "deliveries", sub["id"]).exit_code == 0
    assert hub_cli(shub, monkeypatch, "subscriptions", "remove", sub["id"]).output == f"{sub['id']}: removed\n"
    gone = hub_cli(shub, monkeypatch, "subscriptions", "remove", sub["id"])
    assert gone.exit_code == 1 and gone.output == f"Error: no active subscription {sub['id']}\n"
    bad = hub_cli(shub, monkeypatch, "subscriptions", "create", "--url", "gopher://x")
    assert bad.exit_code == 1 and bad.output.startswith("Error: url must be an https URL or an http URL")
    inside = invoke(shub, monkeypatch, "subscriptions", "create", "--url", "https://10.0.0.1/hook")
    assert inside.exit_code == 1 and "private address, 10.0.0.1" in inside.output
    nobody = hub_cli(shub, monkeypatch, "subscriptions", "create", "--url", "http://127.0.0.1:9/", "--owner", "nope")
    assert nobody.exit_code == 1 and nobody.output == "Error: no client nope\n"


def test_dead_letters_are_replayed_in_order_and_audited(shub, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    publish_on_write(shub, "VN")
    receiver = Receiver(failures=1000)
    try:
        with transaction(shub.sessions) as s:
            sub, _ = subscriptions.create(s, shub.settings, "test", receiver.url, secret=SECRET)
            sub_id = sub.id
        for n in (1, 2, 3):  # three deliveries, each given up after every attempt
            shub.writes.write(VN, "products", [product(n)], source="api")
            deliver_until(shub, lambda n=n: dead(shub) == n)  # type: ignore[misc]
        receiver.failures = 0
        shub.writes.write(VN, "products", [product(4)], source="api")  # claimed after the dead ones

        out = hub_cli(shub, monkeypatch, "webhooks", "replay", sub_id)
        assert out.exit_code == 0, out.output
        with shub.sessions() as s:
            ids = list(s.scalars(sa.select(Delivery.id).order_by(Delivery.id)))
        assert out.output == f"{sub_id}: 3 dead letter(s) queued again, in order: #{ids[0]}, #{ids[1]}, #{ids[2]}\n"
        deliver_until(shub, lambda: len(receiver.bodies) == 4)
        assert [b["changes"][0]["uid"] for b in receiver.bodies] == [f"VN/products/p{n}" for n in (1, 2, 3, 4)]

        with shub.sessions() as s:
            replayed = s.get(Delivery, ids[0])
            assert replayed.status == "delivered" and replayed.attempts == 1 and replayed.replayed_at
            attempts = shub.settings.webhook_attempts
            assert [a["attempt"] for a in replayed.log] == list(range(1, attempts + 2))  # the earlier ones kept
            entry = s.scalar(sa.select(AuditEntry).where(AuditEntry.action == "subscription.replay"))
            assert (entry.actor, entry.target, entry.detail["deliveries"]) == ("cli", f"subscription:{sub_id}", ids[:3])
    finally:
        receiver.stop()
    again = hub_cli(shub, monkeypatch, "webhooks", "replay", sub_id)
    assert (again.exit_code, again.output) == (0, f"{sub_id}: no dead letters\n")
    unknown = hub_cli(shub, monkeypatch, "webhooks", "replay", "sub_nope")
    assert (unknown.exit_code, unknown.output) == (1, "Error: no subscription sub_nope\n")
    hub_cli(shub, monkeypatch, "subscriptions", "remove", sub_id)
    removed = hub_cli(shub, monkeypatch, "webhooks", "replay", sub_id)
    assert removed.exit_code == 1 and "was removed" in removed.output


def test_a_replayed_delivery_sends_the_same_body_under_a_fresh_signature(shub, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    publish_on_write(shub, "VN")
    receiver = Receiver(failures=1000)
    try:
        with transaction(shub.sessions) as s:
            sub, _ = subscriptions.create(s, shub.settings, "test", receiver.url, secret=SECRET)
        shub.writes.write(VN, "products", [product(1)], source="api")
        deliver_until(shub, lambda: dead(shub) == 1)
        with shub.sessions() as s:
            kept = s.scalar(sa.select(Delivery.body))
        receiver.failures = 0
        assert hub_cli(shub, monkeypatch, "webhooks", "replay", sub.id).exit_code == 0
        deliver_until(shub, lambda: receiver.bodies)
        assert receiver.raw[0] == kept.encode() and orjson.loads(kept) == receiver.bodies[0]
        assert receiver.attempts[-1][1] == 204  # the timestamp of the replay verified, not the first one's
    finally:
        receiver.stop()
