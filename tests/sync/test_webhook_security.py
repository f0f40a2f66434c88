"""Webhooks as an attacker would try them (issue 11 item 5): destinations inside the
network, credentials in URLs, DNS that changes its answer, redirects; subscriptions that
belong to their client; audited changes; a timestamped signature and the subscription
header; the owner migration."""

from __future__ import annotations

import dataclasses
import socket
import ssl
import threading
import time
from pathlib import Path
from typing import Any, Iterator

import pytest
import sqlalchemy as sa
import trustme
from alembic import command
from werkzeug.serving import make_server
from werkzeug.wrappers import Response

from hub import config
from hub.store import migrate
from hub.store.db import transaction
from hub.store.models import AuditEntry
from hub.sync import webhooks
from hub.webhooks import subscriptions
from hub.webhooks.subscriptions import Delivery, Subscription
from tests import databases
from tests.auth.helpers import bearer, get_token, make_client
from tests.conftest import product
from tests.sync.conftest import publish_on_write
from tests.sync.test_webhooks import SECRET, VN, Receiver, deliver_until

INSIDE = [
    "http://169.254.169.254/latest/meta-data/",
    "http://10.0.0.1/",
    "http://localhost:6379/",
    "http://[::1]/",
    "http://0.0.0.0:22/",
    "http://2130706433/",
    "http://0x7f.1/",
    "http://0177.0.0.1/",
    "http://017700000001/",
    "http://127.1/",
    "http://[::ffff:127.0.0.1]/",
    "http://192.168.1.1/",
    "http://172.16.0.1/",
    "http://100.64.0.1/",
    "http://224.0.0.1/",
    "http://240.0.0.1/",
    "http://[fe80::1]/",
    "http://[fc00::1]/",
    "http://255.255.255.255/",
]


def resolver(*answers: str) -> Any:
    """A fake DNS: each lookup answers the next address (the last one repeats)."""
    calls: list[str] = []

    def getaddrinfo(host: str, port: int, *_a: Any, **_kw: Any) -> list[tuple[Any, ...]]:
        calls.append(host)
        address = answers[min(len(calls), len(answers)) - 1]
        family = socket.AF_INET6 if ":" in address else socket.AF_INET
        return [(family, socket.SOCK_STREAM, 6, "", (address, port))]

    getaddrinfo.calls = calls  # type: ignore[attr-defined]
    return getaddrinfo


@pytest.fixture
def admin(shub, client) -> dict[str, str]:  # type: ignore[no-untyped-def]
    cid, secret = make_client(shub, "VN", ("admin",), name="secretariat")
    return bearer(get_token(client, cid, secret))  # type: ignore[arg-type]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.stop()


@pytest.mark.parametrize("url", INSIDE)
def test_destinations_inside_the_network_are_refused_even_where_http_is_allowed(settings, url: str) -> None:  # type: ignore[no-untyped-def]
    plain = dataclasses.replace(settings, webhook_allow_http=True, webhook_allowed_networks=())
    with pytest.raises(subscriptions.SubscriptionError, match="address"):
        subscriptions.check_destination(plain, url)


def test_only_https_by_default_and_never_credentials(settings) -> None:  # type: ignore[no-untyped-def]
    default = config.load(
        {"database_url": settings.database_url, "secret_key": "t", "instance_path": settings.instance_path}
    )
    assert (default.webhook_allow_http, default.webhook_allowed_networks) == (False, ())
    dest = subscriptions.check_destination(default, "https://93.184.215.14:8443/hook?k=1")
    assert (str(dest.address), dest.port, dest.target) == ("93.184.215.14", 8443, "/hook?k=1")
    with pytest.raises(subscriptions.SubscriptionError, match="https"):
        subscriptions.check_destination(default, "http://93.184.215.14/hook")
    with pytest.raises(subscriptions.SubscriptionError, match="credentials"):
        subscriptions.check_destination(settings, "http://user:pw@127.0.0.1/")
    with pytest.raises(subscriptions.SubscriptionError, match="credentials"):
        subscriptions.check_destination(default, "https://token@93.184.215.14/")
    for broken in ("https://[::1/", "https://93.184.215.14:99999/", "https:///path", "https://a b.example/"):
        with pytest.raises(subscriptions.SubscriptionError):
            subscriptions.check_destination(default, broken)
    allowed = subscriptions.check_destination(settings, "http://127.0.0.1:9/hook")  # listed in the tests' settings
    assert str(allowed.address) == "127.0.0.1"
    with pytest.raises(config.ConfigError, match="webhook_allowed_networks"):
        config.load(
            {
                "database_url": settings.database_url,
                "secret_key": "t",
                "instance_path": settings.instance_path,
                "webhook_allowed_networks": ("10.0.0.0/33",),
            }
        )


def test_a_name_is_checked_for_every_address_it_resolves_to(settings) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(subscriptions.SubscriptionError, match=r"private address, 10\.1\.2\.3"):
        subscriptions.check_destination(settings, "http://hooks.partner.test/", resolver("10.1.2.3"))

    def mixed(host: str, port: int, *_a: Any, **_kw: Any) -> list[tuple[Any, ...]]:
        return [
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.215.14", port)),
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("192.168.0.9", port)),
        ]

    with pytest.raises(subscriptions.SubscriptionError, match="192.168.0.9"):
        subscriptions.check_destination(settings, "https://hooks.partner.test/", mixed)


def test_the_api_refuses_an_inside_destination_with_a_clear_422(shub, client, admin) -> None:  # type: ignore[no-untyped-def]
    for url in (
        "http://169.254.169.254/latest/meta-data/",
        "http://2130706434/",
        "http://user:pw@127.0.0.1/",
    ):  # 127.0.0.2
        r = client.post("/api/v1/subscriptions", headers=admin, json={"url": url})
        assert r.status_code == 422 and r.content_type == "application/problem+json", (url, r.get_json())
    with shub.sessions() as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(Subscription)) == 0


def test_every_delivery_checks_the_address_again_and_posts_to_the_checked_one(shub, receiver) -> None:  # type: ignore[no-untyped-def]
    publish_on_write(shub, "VN")
    port = receiver.server.server_port
    url = f"http://hooks.partner.test:{port}/hook"  # a name no real DNS knows
    with transaction(shub.sessions) as s:
        sub, _ = subscriptions.create(s, shub.settings, "test", url, secret=SECRET, resolver=resolver("127.0.0.1"))
        sub_id = sub.id
    dns = resolver("127.0.0.1", "10.0.0.7")  # the second lookup rebinds the name inside the network
    deliverer = webhooks.Deliverer(shub, resolver=dns)
    shub.writes.write(VN, "products", [product(1)], source="api")
    assert deliverer.run()["delivered"] == 1
    assert receiver.headers[0]["Host"] == f"hooks.partner.test:{port}"  # connected to the checked address
    assert dns.calls == ["hooks.partner.test"]  # one lookup per attempt: checked and used together

    shub.writes.write(VN, "products", [product(2)], source="api")
    assert deliverer.run()["retrying"] == 1
    assert len(receiver.bodies) == 1  # nothing was posted to the rebound name
    with shub.sessions() as s:
        waiting = s.scalar(sa.select(Delivery).where(Delivery.subscription_id == sub_id, Delivery.status == "pending"))
        assert "private address, 10.0.0.7" in waiting.last_error


def test_redirects_are_not_followed(shub, receiver) -> None:  # type: ignore[no-untyped-def]
    publish_on_write(shub, "VN")

    def redirect(environ: dict[str, Any], start_response: Any) -> Any:
        return Response(status=307, headers={"Location": receiver.url})(environ, start_response)

    server = make_server("127.0.0.1", 0, redirect, threaded=True)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    try:
        with transaction(shub.sessions) as s:
            subscriptions.create(s, shub.settings, "test", f"http://127.0.0.1:{server.server_port}/", secret=SECRET)
        shub.writes.write(VN, "products", [product(1)], source="api")
        assert webhooks.Deliverer(shub).run()["retrying"] == 1
    finally:
        server.shutdown()
        server.server_close()
    assert receiver.attempts == []
    with shub.sessions() as s:
        assert s.scalar(sa.select(Delivery.last_error)) == "HTTP 307"


def test_the_signature_covers_a_timestamp_and_the_subscription_is_named(shub, client, admin, receiver) -> None:  # type: ignore[no-untyped-def]
    publish_on_write(shub, "VN")
    r = client.post("/api/v1/subscriptions", headers=admin, json={"url": receiver.url, "secret": SECRET})
    sub_id = r.get_json()["id"]
    shub.writes.write(VN, "products", [product(1)], source="api")
    deliver_until(shub, lambda: receiver.bodies)
    headers = receiver.headers[0]
    assert headers["X-Hub-Subscription"] == sub_id
    stamp = headers["X-Hub-Timestamp"]
    assert abs(int(stamp) - time.time()) < 60
    body = receiver.raw[0]
    assert headers["X-Hub-Signature-256"] == subscriptions.sign(SECRET, body, int(stamp))
    assert subscriptions.verify(SECRET, body, headers["X-Hub-Signature-256"], stamp)
    # a captured delivery replayed later, or with a fresh timestamp pasted in, fails
    assert not subscriptions.verify(SECRET, body, headers["X-Hub-Signature-256"], stamp, now=int(stamp) + 301)
    assert not subscriptions.verify(SECRET, body, headers["X-Hub-Signature-256"], str(int(time.time()) + 5))
    assert not subscriptions.verify(SECRET, body, headers["X-Hub-Signature-256"], None)
    assert not subscriptions.verify(SECRET, body, "sha256=é", stamp)  # not ASCII: no TypeError
    arabic = "".join(chr(0x660 + int(d)) for d in stamp)  # digits to Python, not to a receiver
    assert not subscriptions.verify(SECRET, body, subscriptions.sign(SECRET, body, int(stamp)), arabic)


def test_a_subscription_belongs_to_the_client_that_made_it(shub, client, admin, receiver) -> None:  # type: ignore[no-untyped-def]
    other_id, other_secret = make_client(shub, "TH", ("admin",), name="another admin system")
    other = bearer(get_token(client, other_id, other_secret))  # type: ignore[arg-type]
    mine = client.post("/api/v1/subscriptions", headers=admin, json={"url": receiver.url, "secret": SECRET}).get_json()
    path = f"/api/v1/subscriptions/{mine['id']}"
    assert client.get(path, headers=other).status_code == 404
    assert client.get(f"{path}/deliveries", headers=other).status_code == 404
    assert client.delete(path, headers=other).status_code == 404
    assert client.get("/api/v1/subscriptions", headers=other).get_json()["items"] == []
    assert client.get(path, headers=admin).get_json()["owner"] == mine["owner"] != other_id
    assert [s["id"] for s in client.get("/api/v1/subscriptions", headers=admin).get_json()["items"]] == [mine["id"]]
    assert client.delete(path, headers=admin).status_code == 204


def test_creating_and_removing_a_subscription_is_audited(shub, client, admin, receiver) -> None:  # type: ignore[no-untyped-def]
    made = client.post(
        "/api/v1/subscriptions", headers=admin, json={"url": receiver.url + "?token=not-for-the-log", "secret": SECRET}
    ).get_json()
    assert client.delete(f"/api/v1/subscriptions/{made['id']}", headers=admin).status_code == 204
    with shub.sessions() as s:
        rows = s.execute(
            sa.select(AuditEntry.actor, AuditEntry.action, AuditEntry.target, AuditEntry.detail)
            .where(AuditEntry.action.like("subscription.%"))
            .order_by(AuditEntry.seq)
        ).all()
    who = f"client:{made['owner']}"
    assert [(r.actor, r.action, r.target) for r in rows] == [
        (who, "subscription.create", f"subscription:{made['id']}"),
        (who, "subscription.delete", f"subscription:{made['id']}"),
    ]
    assert rows[0].detail["url"] == receiver.url and rows[0].detail["owner"] == made["owner"]


def test_existing_subscriptions_get_their_creating_client_as_owner(tmp_path) -> None:  # type: ignore[no-untyped-def]
    engine = sa.create_engine(databases.database_url(tmp_path, "owners"))
    try:
        with engine.begin() as conn:
            command.upgrade(migrate._config(conn), "0007")
            for sub_id, by in (("sub_api", "client:abc123"), ("sub_cli", "cli")):
                conn.execute(
                    sa.text(
                        "INSERT INTO webhook_subscriptions (id, url, kinds, countries, secret, cursor, active, "
                        "created_by, created_at) VALUES (:id, 'https://x.example/', '[]', '[]', 's', 0, :t, :by, "
                        ":at)"
                    ),
                    {"id": sub_id, "by": by, "t": True, "at": "2026-01-01 00:00:00+00:00"},
                )
        migrate.upgrade(engine)
        with engine.connect() as conn:
            owners = dict(conn.execute(sa.text("SELECT id, owner FROM webhook_subscriptions")).all())
        assert owners == {"sub_api": "abc123", "sub_cli": None}
        assert migrate.is_current(engine)
    finally:
        engine.dispose()


@pytest.fixture
def tls_receiver(tmp_path) -> Iterator[tuple[Receiver, str]]:  # type: ignore[no-untyped-def]
    """A receiver over https with a certificate for hooks.partner.test from a test CA."""
    ca = trustme.CA()
    cert = ca.issue_cert("hooks.partner.test")
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    cert.configure_cert(context)
    ca_file = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    r = Receiver(ssl_context=context)
    yield r, str(ca_file)
    r.stop()


def test_https_deliveries_verify_the_urls_host_while_connecting_to_the_checked_address(shub, tls_receiver) -> None:  # type: ignore[no-untyped-def]
    receiver, ca_file = tls_receiver
    publish_on_write(shub, "VN")
    port = receiver.server.server_port
    hub = type(shub)(dataclasses.replace(shub.settings, webhook_allow_http=False, webhook_ca_file=ca_file))
    try:
        with transaction(hub.sessions) as s:
            for name in ("hooks.partner.test", "impostor.partner.test"):  # the certificate names the first only
                subscriptions.create(
                    s,
                    hub.settings,
                    "test",
                    f"https://{name}:{port}/hook",
                    secret=SECRET,
                    resolver=resolver("127.0.0.1"),
                )
        hub.writes.write(VN, "products", [product(1)], source="api")
        done = webhooks.Deliverer(hub, resolver=resolver("127.0.0.1")).run()
        assert (done["delivered"], done["retrying"]) == (1, 1)
        assert receiver.headers[0]["Host"] == f"hooks.partner.test:{port}" and len(receiver.bodies) == 1
        with hub.sessions() as s:
            refused = s.scalar(sa.select(Delivery.last_error).where(Delivery.status == "pending"))
        assert "SSLError" in refused and "impostor.partner.test" in refused
    finally:
        hub.engine.dispose()


def test_the_partner_guides_verification_snippet_accepts_a_delivery_and_refuses_a_replay(shub, receiver) -> None:  # type: ignore[no-untyped-def]
    guide = (Path(__file__).resolve().parents[2] / "docs" / "partner-guide.md").read_text(encoding="utf-8")
    section = guide[guide.index(". Webhooks: subscribing") :]
    snippet = section[
        section.index("```python") + len("```python") : section.index("```", section.index("```python") + 9)
    ]
    scope: dict[str, Any] = {}
    exec(compile(snippet, "partner-guide.md", "exec"), scope)  # noqa: S102  (our own documentation)
    publish_on_write(shub, "VN")
    with transaction(shub.sessions) as s:
        subscriptions.create(s, shub.settings, "test", receiver.url, secret=SECRET)
    shub.writes.write(VN, "products", [product(1)], source="api")
    deliver_until(shub, lambda: receiver.bodies)
    headers, body = receiver.headers[0], receiver.raw[0]
    assert scope["verified"](SECRET, body, headers)
    assert not scope["verified"](SECRET, body + b" ", headers)
    old = {**headers, "X-Hub-Timestamp": str(int(headers["X-Hub-Timestamp"]) - 301)}
    assert not scope["verified"](SECRET, body, old)
    assert not scope["verified"](SECRET, body, {**headers, "X-Hub-Signature-256": "sha256=é"})


def test_a_change_is_checked_like_a_creation_audited_and_only_the_owners(shub, client, admin, receiver) -> None:  # type: ignore[no-untyped-def]
    publish_on_write(shub, "VN")
    made = client.post("/api/v1/subscriptions", headers=admin, json={"url": receiver.url, "secret": SECRET}).get_json()
    path = f"/api/v1/subscriptions/{made['id']}"
    other_id, other_secret = make_client(shub, "TH", ("admin",), name="another admin system")
    other = bearer(get_token(client, other_id, other_secret))  # type: ignore[arg-type]
    assert client.patch(path, headers=other, json={"kinds": ["products"]}).status_code == 404
    assert client.patch(path, headers=admin, json={}).get_json()["detail"].startswith("nothing to change")
    inside = client.patch(path, headers=admin, json={"url": "http://169.254.169.254/latest/meta-data/"})
    assert inside.status_code == 422 and "link-local" in inside.get_json()["detail"]
    new_secret = "a-new-secret-after-rotation"
    changed = client.patch(path, headers=admin, json={"kinds": ["products"], "countries": ["VN"], "secret": new_secret})
    assert changed.status_code == 200, changed.get_json()
    assert (changed.get_json()["kinds"], changed.get_json()["countries"]) == (["products"], ["VN"])
    assert changed.get_json()["cursor"] == made["cursor"]  # the feed position stays

    shub.writes.write(VN, "products", [product(1)], source="api")
    webhooks.Deliverer(shub).run()
    assert receiver.attempts[-1][1] == 401  # the receiver still checks the old secret: it is no longer used
    stamp = receiver.headers[-1]["X-Hub-Timestamp"]
    assert subscriptions.verify(
        new_secret, receiver.raw_attempts[-1], receiver.headers[-1]["X-Hub-Signature-256"], stamp
    )
    with shub.sessions() as s:
        entry = s.scalar(sa.select(AuditEntry).where(AuditEntry.action == "subscription.change"))
    assert entry.detail == {"kinds": ["products"], "countries": ["VN"], "secret_changed": True}
    assert new_secret not in str(entry.detail)
    assert client.delete(path, headers=admin).status_code == 204
    assert client.patch(path, headers=admin, json={"kinds": []}).status_code == 404  # removed
