"""ovop_hub_client.HubClient (clients/python) against a real hub on 127.0.0.1 (a WSGI server in a thread)."""

from __future__ import annotations

import threading
import time
from typing import Iterator

import pytest
import sqlalchemy as sa
from joserfc.jwk import ECKey, RSAKey
from ovop_hub_client import HubAuthError, HubClient, load_private_key
from werkzeug.serving import make_server

from hub.actors import Actor
from hub.auth.models import AccessToken
from hub.curation.members import set_policy
from hub.store.db import transaction
from hub.store.models import utcnow
from tests.auth.helpers import make_client, public_jwks
from tests.conftest import product


@pytest.fixture
def live(app) -> Iterator[str]:  # type: ignore[no-untyped-def]
    from dataclasses import replace

    server = make_server("127.0.0.1", 0, app, threaded=True)
    hub = app.extensions["hub"]  # as `hub serve` on loopback: the bound address is the public URL
    hub.settings = replace(hub.settings, public_url=f"http://127.0.0.1:{server.server_port}")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def tokens_issued(hub) -> int:  # type: ignore[no-untyped-def]
    with hub.sessions() as session:
        return session.scalar(sa.select(sa.func.count()).select_from(AccessToken))


@pytest.mark.parametrize("method", ["client_secret_basic", "client_secret_post"])
def test_secret_client_gets_a_token_and_reuses_it(live, hub, method) -> None:  # type: ignore[no-untyped-def]
    cid, secret = make_client(hub, "VN")
    with HubClient(live, cid, client_secret=secret, auth_method=method) as partner:
        first = partner.get("/api/v1/whoami")
        second = partner.get("/api/v1/whoami")
    assert first.status_code == second.status_code == 200
    assert first.json() == {
        "actor": f"client:{cid}",
        "client_id": cid,
        "country": "VN",
        "scopes": ["exchange:read", "exchange:write"],
    }
    assert tokens_issued(hub) == 1


def test_scope_is_asked_for(live, hub) -> None:  # type: ignore[no-untyped-def]
    cid, secret = make_client(hub, "VN")
    with HubClient(live, cid, client_secret=secret, scope="exchange:read") as partner:
        assert partner.get("/api/v1/whoami").json()["scopes"] == ["exchange:read"]
        assert partner.token["scope"] == "exchange:read"


def test_a_token_about_to_expire_is_renewed_before_use(live, hub) -> None:  # type: ignore[no-untyped-def]
    cid, secret = make_client(hub, "VN")
    with HubClient(live, cid, client_secret=secret, leeway=60) as partner:
        assert partner.get("/api/v1/whoami").status_code == 200
        old = partner.token["access_token"]
        partner.session.token["expires_at"] = int(time.time()) + 30  # within the leeway
        assert partner.get("/api/v1/whoami").status_code == 200
        assert partner.token["access_token"] != old
    assert tokens_issued(hub) == 2


def test_a_401_is_retried_once_with_a_fresh_token(live, hub) -> None:  # type: ignore[no-untyped-def]
    cid, secret = make_client(hub, "VN")
    with HubClient(live, cid, client_secret=secret) as partner:
        assert partner.get("/api/v1/whoami").status_code == 200
        with transaction(hub.sessions) as session:  # the hub revokes the token behind its back
            session.execute(sa.update(AccessToken).values(revoked_at=utcnow()))
        assert partner.get("/api/v1/whoami").status_code == 200
    assert tokens_issued(hub) == 2


def test_wrong_secret_raises_hub_auth_error(live, hub) -> None:  # type: ignore[no-untyped-def]
    cid, _ = make_client(hub, "VN")
    with HubClient(live, cid, client_secret="wrong") as partner:
        with pytest.raises(HubAuthError) as caught:
            partner.get("/api/v1/whoami")
    assert caught.value.error == "invalid_client"


def test_revoke_at_shutdown(live, hub) -> None:  # type: ignore[no-untyped-def]
    cid, secret = make_client(hub, "VN")
    with HubClient(live, cid, client_secret=secret) as partner:
        partner.get("/api/v1/whoami")
        partner.revoke()
        assert partner.token is None
    with hub.sessions() as session:
        assert session.scalar(sa.select(AccessToken.revoked_at)) is not None


@pytest.mark.parametrize(
    "make", [lambda: RSAKey.generate_key(2048, auto_kid=True), lambda: ECKey.generate_key("P-256", auto_kid=True)]
)
def test_private_key_jwt_client(live, hub, make) -> None:  # type: ignore[no-untyped-def]
    key = make()
    cid, _ = make_client(hub, "TH", jwks=public_jwks(key))
    pem = key.as_pem(private=True)
    with HubClient(live, cid, private_key=pem, kid=key.kid) as partner:
        me = partner.get("/api/v1/whoami")
        assert me.status_code == 200 and me.json()["country"] == "TH"
        partner.session.token["expires_at"] = int(time.time())  # each renewal signs a new assertion
        assert partner.get("/api/v1/whoami").status_code == 200
        partner.revoke()  # the revocation endpoint takes the same assertion method
    assert tokens_issued(hub) == 2


def test_private_key_must_be_private() -> None:
    key = RSAKey.generate_key(2048)
    with pytest.raises(ValueError, match="public key"):
        load_private_key(key.as_pem(private=False))
    with pytest.raises(ValueError):
        HubClient("http://127.0.0.1:1", "x")


def test_changes_pages_through_the_feed(live, hub) -> None:  # type: ignore[no-untyped-def]
    with transaction(hub.sessions) as session:
        set_policy(session, "test", "VN", "auto")
    hub.writes.write(Actor("test:source", "VN"), "products", [product(i) for i in range(5)], source="api")
    cid, secret = make_client(hub, "TH", ("exchange:read",))
    with HubClient(live, cid, client_secret=secret) as partner:
        pages = list(partner.change_pages(limit=2))
        assert [len(p["changes"]) for p in pages] == [2, 2, 1]
        seen = [c["uid"] for c in partner.changes()]
        resumed = [c["uid"] for c in partner.changes(after=pages[0]["next_cursor"])]
        assert [c["uid"] for c in partner.changes(after=pages[-1]["next_cursor"])] == []
    assert sorted(seen) == [f"VN/products/p{i}" for i in range(5)]
    assert resumed == seen[2:]
