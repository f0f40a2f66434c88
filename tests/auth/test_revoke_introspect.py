"""Revocation (RFC 7009), introspection (RFC 7662) and revoking a whole client."""

from __future__ import annotations

from hub.auth import clients
from hub.store.db import transaction
from tests.auth.helpers import audit_entries, bearer, expire, get_token


def introspect(client, who: tuple[str, str], tok: str):  # type: ignore[no-untyped-def]
    return client.post("/oauth/introspect", data={"token": tok}, auth=who).get_json()


def test_a_client_revokes_its_own_token(client, new_client, hub) -> None:  # type: ignore[no-untyped-def]
    cid, secret = new_client("VN")
    tok = get_token(client, cid, secret)
    r = client.post("/oauth/revoke", data={"token": tok, "token_type_hint": "access_token"}, auth=(cid, secret))
    assert r.status_code == 200
    refused = client.get("/api/v1/whoami", headers=bearer(tok))
    assert refused.status_code == 401 and 'error="invalid_token"' in refused.headers["WWW-Authenticate"]
    assert [e.target for e in audit_entries(hub, "token.revoke")] == [f"client:{cid}"]


def test_revoking_an_unknown_token_is_200(client, new_client) -> None:  # type: ignore[no-untyped-def]
    cid, secret = new_client("VN")
    assert client.post("/oauth/revoke", data={"token": "never-issued"}, auth=(cid, secret)).status_code == 200


def test_a_client_cannot_revoke_another_clients_token(client, new_client) -> None:  # type: ignore[no-untyped-def]
    a_id, a_secret = new_client("VN")
    b_id, b_secret = new_client("TH")
    b_tok = get_token(client, b_id, b_secret)
    r = client.post("/oauth/revoke", data={"token": b_tok}, auth=(a_id, a_secret))
    assert r.status_code == 400
    assert client.get("/api/v1/whoami", headers=bearer(b_tok)).status_code == 200


def test_revocation_needs_client_authentication(client, new_client) -> None:  # type: ignore[no-untyped-def]
    cid, secret = new_client("VN")
    tok = get_token(client, cid, secret)
    r = client.post("/oauth/revoke", data={"token": tok})
    assert r.status_code == 401 and r.get_json()["error"] == "invalid_client"
    assert client.get("/api/v1/whoami", headers=bearer(tok)).status_code == 200


def test_introspection_of_own_token(client, new_client) -> None:  # type: ignore[no-untyped-def]
    cid, secret = new_client("VN")
    tok = get_token(client, cid, secret, scope="exchange:read")
    body = introspect(client, (cid, secret), tok)
    assert body["active"] is True
    assert body["client_id"] == cid and body["sub"] == cid and body["country"] == "VN"
    assert body["scope"] == "exchange:read" and body["token_type"] == "Bearer"
    assert body["exp"] - body["iat"] == 3600 and body["iss"] == "http://localhost"


def test_introspection_of_another_clients_token_is_inactive(client, new_client) -> None:  # type: ignore[no-untyped-def]
    a_id, a_secret = new_client("VN")
    b_id, b_secret = new_client("TH")
    assert introspect(client, (a_id, a_secret), get_token(client, b_id, b_secret)) == {"active": False}


def test_an_admin_client_introspects_any_token(client, new_client) -> None:  # type: ignore[no-untyped-def]
    admin_id, admin_secret = new_client("SG", ("exchange:read", "admin"))
    b_id, b_secret = new_client("TH")
    body = introspect(client, (admin_id, admin_secret), get_token(client, b_id, b_secret))
    assert body["active"] is True and body["client_id"] == b_id and body["country"] == "TH"


def test_expired_revoked_and_unknown_tokens_are_inactive(client, new_client, hub) -> None:  # type: ignore[no-untyped-def]
    cid, secret = new_client("VN")
    old = get_token(client, cid, secret)
    expire(hub, old)
    gone = get_token(client, cid, secret)
    client.post("/oauth/revoke", data={"token": gone}, auth=(cid, secret))
    for tok in (old, gone, "never-issued"):
        assert introspect(client, (cid, secret), tok) == {"active": False}


def test_introspection_without_token_parameter_is_invalid_request(client, new_client) -> None:  # type: ignore[no-untyped-def]
    cid, secret = new_client("VN")
    r = client.post("/oauth/introspect", data={"x": "1"}, auth=(cid, secret))
    assert r.status_code == 400 and r.get_json()["error"] == "invalid_request"


def test_revoking_a_client_kills_its_live_tokens_at_once(client, new_client, hub) -> None:  # type: ignore[no-untyped-def]
    cid, secret = new_client("VN")
    toks = [get_token(client, cid, secret) for _ in range(2)]
    other_id, other_secret = new_client("VN")
    other = get_token(client, other_id, other_secret)
    with transaction(hub.sessions) as session:
        assert clients.revoke(session, "test", cid) == 2
    for tok in toks:
        assert client.get("/api/v1/whoami", headers=bearer(tok)).status_code == 401
    assert client.get("/api/v1/whoami", headers=bearer(other)).status_code == 200
    admin_id, admin_secret = new_client("SG", ("admin",))
    assert introspect(client, (admin_id, admin_secret), toks[0]) == {"active": False}
    entry = audit_entries(hub, "client.revoke")[-1]
    assert entry.target == f"client:{cid}" and entry.detail == {"tokens_revoked": 2}
