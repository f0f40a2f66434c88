"""Rate limits of the OAuth endpoints and of requests refused for their token, and the
audit log of frequent security events as counts (issue 11, items 4 and 8)."""

from __future__ import annotations

import secrets
import time
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from hub import create_app
from hub.store import audit
from hub.store.models import AuditEntry, WriteHead, utcnow
from tests.auth.helpers import audit_entries, bearer, get_token, make_client, tallied
from tests.services import on_db

PROBLEM = "application/problem+json"
GRANT = {"grant_type": "client_credentials"}


def limited_app(settings, **limits: str):  # type: ignore[no-untyped-def]
    app = create_app(
        {
            "database_url": settings.database_url,
            "secret_key": "test-secret",
            "instance_path": settings.instance_path,
            **limits,
        }
    )
    app.config["TESTING"] = True
    return app


@pytest.fixture
def dispose():  # type: ignore[no-untyped-def]
    apps: list[Any] = []
    yield apps.append
    for app in apps:
        app.extensions["hub"].engine.dispose()


def from_addr(addr: str) -> dict[str, Any]:
    return {"environ_base": {"REMOTE_ADDR": addr}}


def assert_429(r, oauth: bool) -> None:  # type: ignore[no-untyped-def]
    assert r.status_code == 429 and r.mimetype == PROBLEM
    assert 0 < int(r.headers["Retry-After"]) <= 60
    body = r.get_json()
    assert body["status"] == 429 and body["detail"]
    if oauth:  # what OAuth client libraries look for, so none mistakes the body for a token
        assert body["error"] == "temporarily_unavailable" and body["error_description"]


def audit_seq(hub) -> int:  # type: ignore[no-untyped-def]
    with hub.sessions() as session:
        return session.get(WriteHead, 1).audit_seq


def test_the_token_endpoint_limits_each_address(settings, hub, dispose) -> None:  # type: ignore[no-untyped-def]
    app = limited_app(settings, oauth_rate_limit_address="5/minute")
    dispose(app)
    web = app.test_client()
    codes = [
        web.post("/oauth/token", data=GRANT, auth=(f"vn-{i:016x}", "guess"), **from_addr("10.1.1.1")).status_code
        for i in range(6)
    ]
    assert codes == [401] * 5 + [429]
    assert_429(web.post("/oauth/token", data=GRANT, **from_addr("10.1.1.1")), oauth=True)
    cid, secret = make_client(hub, "VN")
    assert web.post("/oauth/token", data=GRANT, auth=(cid, secret), **from_addr("10.1.1.2")).status_code == 200


def test_the_token_endpoint_limits_each_client_id_from_any_address(settings, hub, dispose) -> None:  # type: ignore[no-untyped-def]
    app = limited_app(settings, oauth_rate_limit_client="3/minute")
    dispose(app)
    web = app.test_client()
    cid, secret = make_client(hub, "VN")
    codes = [
        web.post("/oauth/token", data=GRANT, auth=(cid, "guess"), **from_addr(f"10.2.0.{i}")).status_code
        for i in range(3)
    ]
    assert codes == [401] * 3
    # Counted together over the three endpoints, whatever the authentication method.
    r = web.post(
        "/oauth/introspect", data={"token": "x", "client_id": cid, "client_secret": secret}, **from_addr("10.2.0.9")
    )
    assert_429(r, oauth=True)
    other, other_secret = make_client(hub, "VN")
    assert web.post("/oauth/token", data=GRANT, auth=(other, other_secret)).status_code == 200


def test_revocation_is_limited_too(settings, hub, dispose) -> None:  # type: ignore[no-untyped-def]
    app = limited_app(settings, oauth_rate_limit_address="2/minute")
    dispose(app)
    web = app.test_client()
    cid, secret = make_client(hub, "VN")
    codes = [web.post("/oauth/revoke", data={"token": "x"}, auth=(cid, secret)).status_code for _ in range(3)]
    assert codes == [200, 200, 429]


def test_requests_refused_for_their_token_are_limited_per_address(settings, hub, dispose) -> None:  # type: ignore[no-untyped-def]
    app = limited_app(settings, refused_rate_limit="3/minute")
    dispose(app)
    web = app.test_client()
    good = bearer(get_token(web, *make_client(hub, "VN")))  # type: ignore[misc]
    refused = [web.get("/api/v1/stats", headers=bearer(f"guess-{i}")).status_code for i in range(3)]
    assert refused == [401, 401, 401]
    assert_429(web.get("/api/v1/stats", headers=bearer("guess-4")), oauth=False)
    assert_429(web.get("/api/v1/whoami"), oauth=False)  # no token at all counts too
    # A valid token from the same address is served; another address is not limited.
    assert web.get("/api/v1/stats", headers=good).status_code == 200
    assert web.get("/api/v1/stats", headers=bearer("guess-5"), **from_addr("10.3.0.1")).status_code == 401


def test_whoami_has_the_per_client_limit_of_every_api_route(settings, hub, dispose) -> None:  # type: ignore[no-untyped-def]
    app = limited_app(settings, rate_limit="2/minute")
    dispose(app)
    web = app.test_client()
    headers = bearer(get_token(web, *make_client(hub, "VN")))  # type: ignore[misc]
    codes = [web.get("/api/v1/whoami", headers=headers).status_code for _ in range(3)]
    assert codes == [200, 200, 429]
    assert_429(web.get("/api/v1/whoami", headers=headers), oauth=False)


def test_oauth_limits_are_shared_by_machines_through_redis(settings, hub, redis_url, dispose) -> None:  # type: ignore[no-untyped-def]
    machines = [
        limited_app(settings, oauth_rate_limit_address="3/minute", rate_limit_storage=on_db(redis_url, 4))
        for _ in range(2)
    ]
    for app in machines:
        dispose(app)
    first, second = (app.test_client() for app in machines)
    addr = f"10.4.{secrets.randbelow(250)}.{secrets.randbelow(250)}"  # counters of earlier runs stay in Redis
    codes = [
        c.post("/oauth/token", data=GRANT, auth=(f"vn-{secrets.token_hex(8)}", "x"), **from_addr(addr)).status_code
        for c in (first, second, first, second)
    ]
    assert codes == [401, 401, 401, 429]  # per-process counters would allow four


def test_a_flood_of_refused_token_requests_is_one_audit_entry_not_one_each(settings, hub, dispose) -> None:  # type: ignore[no-untyped-def]
    app = limited_app(settings, oauth_rate_limit_address="100000/minute", oauth_rate_limit_client="100000/minute")
    dispose(app)
    web = app.test_client()
    cid, _ = make_client(hub, "VN")
    before, started = audit_seq(hub), time.time()
    for i in range(300):  # a registered client's id, and 300 random ones
        for who in (cid, f"vn-{secrets.token_hex(8)}"):
            r = web.post("/oauth/token", data=GRANT, auth=(who, f"guess-{i}"), **from_addr(f"10.5.{i % 3}.1"))
            assert r.status_code == 401
    # Nothing under the write lock while the flood lasts, but the two aggregates of a
    # minute that closed meanwhile (0 when the flood stayed within one minute).
    assert audit_seq(hub) - before <= 2 * (int(time.time() // 60) - int(started // 60))
    counted = tallied(web, hub, "token.refused")
    assert set(counted) == {f"client:{cid}", None}
    assert counted[f"client:{cid}"]["count"] == counted[None]["count"] == 300
    assert counted[f"client:{cid}"]["addr"] == {"10.5.0.1": 100, "10.5.1.1": 100, "10.5.2.1": 100}
    assert len(counted[None]["claimed"]) == audit.FACET_VALUES + 1  # 20 ids and "(other)"
    entries = audit_entries(hub, "token.refused")
    assert 2 <= len(entries) <= 4  # per registered client and minute (more if the flood spans a minute)
    with hub.sessions() as session:
        assert audit.verify(session) == []


def test_rate_limited_oauth_requests_are_counted_not_written_each(settings, hub, dispose) -> None:  # type: ignore[no-untyped-def]
    app = limited_app(settings, oauth_rate_limit_address="2/minute")
    dispose(app)
    web = app.test_client()
    for _ in range(50):
        web.post("/oauth/token", data=GRANT, auth=("vn-0000000000000002", "x"))
    counted = tallied(web, hub, "oauth.limited")
    assert list(counted) == [None] and counted[None]["count"] == 48
    assert counted[None]["endpoint"] == {"oauth.token": 48}
    assert counted[None]["client"] == {"vn-0000000000000002": 48}
    assert tallied(web, hub, "token.refused")[None]["claimed"] == {"vn-0000000000000002": 2}


def test_closed_windows_are_written_by_the_next_request(client, hub) -> None:  # type: ignore[no-untyped-def]
    tally = audit.tally_of(client.application)
    tally.count(
        "anonymous",
        "token.refused",
        "client:vn-0000000000000003",
        at=utcnow() - timedelta(minutes=5),
        error="invalid_client",
    )
    assert tally.due()
    client.get("/healthz")
    [entry] = audit_entries(hub, "token.refused")
    assert entry.detail["count"] == 1 and entry.detail["window_seconds"] == 60
    assert entry.detail["error"] == {"invalid_client": 1}
    assert not tally.due() and tally.pending() == 0


def test_token_issuance_is_audited_once_per_client_and_hour(client, hub) -> None:  # type: ignore[no-untyped-def]
    cid, secret = make_client(hub, "VN")
    before = audit_seq(hub)
    for scope in ("exchange:read", "exchange:read", None):
        get_token(client, cid, secret, scope)
    assert audit_seq(hub) == before  # no chain write per token
    counted = tallied(client, hub, "token.issue")
    assert counted == {
        f"client:{cid}": {
            "count": 3,
            "method": {"client_secret_basic": 3},
            "scope": {"exchange:read": 2, "exchange:read exchange:write": 1},
        }
    }
    [entry] = audit_entries(hub, "token.issue")
    assert entry.actor == f"client:{cid}" and entry.detail["window_seconds"] == 3600


def test_a_flush_that_fails_keeps_the_counts(client, hub, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    tally = audit.tally_of(client.application)
    tally.count("anonymous", "token.refused", None, error="invalid_client")
    monkeypatch.setattr(
        audit, "lock", lambda session: (_ for _ in ()).throw(sa.exc.OperationalError("x", {}, Exception("down")))
    )
    with pytest.raises(sa.exc.OperationalError):
        tally.flush(everything=True)
    monkeypatch.undo()
    assert tally.pending() == 1
    assert tally.flush(everything=True) == 1
    with hub.sessions() as session:
        assert (
            session.scalar(
                sa.select(sa.func.count()).select_from(AuditEntry).where(AuditEntry.action == "token.refused")
            )
            == 1
        )
        assert audit.verify(session) == []
