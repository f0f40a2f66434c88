"""POST /oauth/token: client credentials with client_secret_basic or client_secret_post."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from hub import create_app
from hub.auth.models import AccessToken, OAuthClient, digest
from tests import databases
from tests.auth.helpers import bearer, get_token, public_jwks, tallied

GRANT = {"grant_type": "client_credentials"}


def test_basic_auth_gives_a_bearer_token_of_all_allowed_scopes(client, new_client) -> None:  # type: ignore[no-untyped-def]
    cid, secret = new_client("VN")
    r = client.post("/oauth/token", data=GRANT, auth=(cid, secret))
    assert r.status_code == 200
    body = r.get_json()
    assert body["token_type"] == "Bearer" and body["expires_in"] == 3600
    assert body["scope"] == "exchange:read exchange:write"
    assert "refresh_token" not in body
    assert r.headers["Cache-Control"] == "no-store"
    me = client.get("/api/v1/whoami", headers=bearer(body["access_token"])).get_json()
    assert me == {
        "actor": f"client:{cid}",
        "client_id": cid,
        "country": "VN",
        "scopes": ["exchange:read", "exchange:write"],
    }


def test_post_auth_works_too(client, new_client) -> None:  # type: ignore[no-untyped-def]
    cid, secret = new_client("TH")
    r = client.post("/oauth/token", data={**GRANT, "client_id": cid, "client_secret": secret})
    assert r.status_code == 200 and r.get_json()["access_token"]


def test_scope_may_narrow_but_not_widen(client, new_client) -> None:  # type: ignore[no-untyped-def]
    cid, secret = new_client("VN", ("exchange:read", "exchange:write"))
    r = client.post("/oauth/token", data={**GRANT, "scope": "exchange:read"}, auth=(cid, secret))
    assert r.status_code == 200 and r.get_json()["scope"] == "exchange:read"
    for asked in ("exchange:read admin", "review", "no-such-scope"):
        r = client.post("/oauth/token", data={**GRANT, "scope": asked}, auth=(cid, secret))
        assert r.status_code == 400 and r.get_json()["error"] == "invalid_scope", asked


def test_wrong_secret_is_401_invalid_client_and_audited(client, new_client, hub) -> None:  # type: ignore[no-untyped-def]
    cid, _ = new_client("VN")
    r = client.post("/oauth/token", data=GRANT, auth=(cid, "not-the-secret"))
    assert r.status_code == 401 and r.get_json()["error"] == "invalid_client"
    assert r.headers["WWW-Authenticate"].startswith("Basic ")
    r = client.post("/oauth/token", data={**GRANT, "client_id": cid, "client_secret": "nope"})
    assert r.status_code == 401 and r.get_json()["error"] == "invalid_client"
    counted = tallied(client, hub, "token.refused")
    assert list(counted) == [f"client:{cid}"]
    assert counted[f"client:{cid}"]["count"] == 2
    assert counted[f"client:{cid}"]["method"] == {"client_secret_basic": 1, "client_secret_post": 1}
    assert counted[f"client:{cid}"]["error"] == {"invalid_client": 2}
    assert counted[f"client:{cid}"]["addr"] == {"127.0.0.1": 2}
    assert "not-the-secret" not in str(counted) and "nope" not in str(counted)


def test_unknown_client_is_invalid_client_and_audited(client, hub) -> None:  # type: ignore[no-untyped-def]
    r = client.post("/oauth/token", data=GRANT, auth=("vn-0000000000000000", "whatever"))
    assert r.status_code == 401 and r.get_json()["error"] == "invalid_client"
    r = client.post("/oauth/token", data=GRANT)
    assert r.status_code == 401 and r.get_json()["error"] == "invalid_client"
    counted = tallied(client, hub, "token.refused")
    assert list(counted) == [None]  # no registered client: counted together, the ids as a facet
    assert counted[None]["count"] == 2 and counted[None]["claimed"] == {"vn-0000000000000000": 1}


def test_revoked_client_gets_no_token(client, new_client, hub) -> None:  # type: ignore[no-untyped-def]
    from hub.auth import clients
    from hub.store.db import transaction

    cid, secret = new_client("VN")
    with transaction(hub.sessions) as session:
        clients.revoke(session, "test", cid)
    r = client.post("/oauth/token", data=GRANT, auth=(cid, secret))
    assert r.status_code == 401 and r.get_json()["error"] == "invalid_client"
    assert list(tallied(client, hub, "token.refused")) == [f"client:{cid}"]


def test_only_form_encoded_bodies(client, new_client, hub) -> None:  # type: ignore[no-untyped-def]
    cid, secret = new_client("VN")
    r = client.post("/oauth/token", json={**GRANT, "client_id": cid, "client_secret": secret})
    assert r.status_code == 400 and r.get_json()["error"] == "invalid_request"
    # Parameters in the query string are ignored: credentials never belong in a URL.
    r = client.post(
        f"/oauth/token?grant_type=client_credentials&client_id={cid}&client_secret={secret}", data={"x": "1"}
    )
    assert r.status_code in (400, 401) and r.get_json()["error"] in ("unsupported_grant_type", "invalid_client")
    assert client.get("/oauth/token").status_code == 405
    assert tallied(client, hub, "token.refused")[None]["count"] == 2


def test_other_grant_types_are_refused(client, new_client) -> None:  # type: ignore[no-untyped-def]
    cid, secret = new_client("VN")
    r = client.post(
        "/oauth/token", data={"grant_type": "password", "username": "a", "password": "b"}, auth=(cid, secret)
    )
    assert r.status_code == 400 and r.get_json()["error"] == "unsupported_grant_type"


def test_lifetime_is_configurable(settings, hub, new_client) -> None:  # type: ignore[no-untyped-def]
    app = create_app(
        {
            "database_url": settings.database_url,
            "secret_key": "t",
            "instance_path": settings.instance_path,
            "token_lifetime": 120,
        }
    )
    cid, secret = new_client("VN")
    r = app.test_client().post("/oauth/token", data=GRANT, auth=(cid, secret))
    assert r.get_json()["expires_in"] == 120
    with hub.sessions() as session:
        row = session.scalar(sa.select(AccessToken))
        assert (row.expires_at - row.issued_at).total_seconds() == 120


def test_tokens_and_secrets_are_stored_hashed_only(client, new_client, hub, settings) -> None:  # type: ignore[no-untyped-def]
    cid, secret = new_client("VN")
    tok = get_token(client, cid, secret)
    with hub.sessions() as session:
        row = session.scalar(sa.select(AccessToken))
        assert row.token_hash == digest(tok)
        stored = session.get(OAuthClient, cid)
        assert stored.secret_hash == digest(secret)
    hub.engine.dispose()
    if databases.postgresql():  # every row of every table, as text
        with hub.engine.connect() as conn:
            raw = "\n".join(
                text
                for name in sa.inspect(conn).get_table_names()
                for text in conn.exec_driver_sql(f'SELECT t::text FROM "{name}" t').scalars()
            ).encode()
    else:  # the database file and its WAL, byte for byte (freed pages included)
        db = Path(settings.database_url.removeprefix("sqlite:///"))
        raw = b"".join(p.read_bytes() for p in db.parent.glob(db.name + "*"))
    assert tok.encode() not in raw and secret.encode() not in raw
    assert digest(tok).encode() in raw


def test_tokens_are_distinct_per_request(client, new_client) -> None:  # type: ignore[no-untyped-def]
    cid, secret = new_client("VN")
    assert get_token(client, cid, secret) != get_token(client, cid, secret)


def test_a_blank_scope_is_invalid_scope_not_a_token_without_scopes(client, new_client) -> None:  # type: ignore[no-untyped-def]
    """RFC 6749 3.3 lets the server choose: the hub refuses a present but blank scope
    (docs/api.md); leaving the parameter out gets the client's registered scopes."""
    cid, secret = new_client("VN")
    for blank in (" ", "", "   "):
        r = client.post("/oauth/token", data={**GRANT, "scope": blank}, auth=(cid, secret))
        assert r.status_code == 400 and r.get_json()["error"] == "invalid_scope", repr(blank)
    r = client.post(
        "/oauth/token",
        data="grant_type=client_credentials&scope=%20",
        content_type="application/x-www-form-urlencoded",
        auth=(cid, secret),
    )
    assert r.status_code == 400 and r.get_json()["error"] == "invalid_scope"
    assert (
        client.post("/oauth/token", data=GRANT, auth=(cid, secret)).get_json()["scope"]
        == "exchange:read exchange:write"
    )


@pytest.mark.parametrize(
    "path, body",
    [
        ("/oauth/token", "grant_type=client_credentials&scope=exchange:read&scope=exchange:write"),
        ("/oauth/token", "grant_type=client_credentials&grant_type=client_credentials"),
        ("/oauth/introspect", "token=a&token=b"),
        ("/oauth/revoke", "token=a&token_type_hint=access_token&token_type_hint=access_token"),
    ],
)
def test_repeated_parameters_are_invalid_request(client, new_client, path, body) -> None:  # type: ignore[no-untyped-def]
    cid, secret = new_client("VN")
    r = client.post(path, data=body, content_type="application/x-www-form-urlencoded", auth=(cid, secret))
    assert r.status_code == 400
    assert r.get_json()["error"] == "invalid_request" and "repeated" in r.get_json()["error_description"]


def _answer(r) -> tuple[int, Any, str | None, str | None]:  # type: ignore[no-untyped-def]
    return r.status_code, r.get_json(), r.headers.get("WWW-Authenticate"), r.headers.get("Content-Type")


def test_unknown_and_known_client_ids_with_a_wrong_secret_get_the_same_answer(client, new_client) -> None:  # type: ignore[no-untyped-def]
    cid, _ = new_client("VN")
    unknown = "vn-" + "0" * 16
    basic = [_answer(client.post("/oauth/token", data=GRANT, auth=(who, "wrong"))) for who in (cid, unknown)]
    post = [
        _answer(client.post("/oauth/token", data={**GRANT, "client_id": who, "client_secret": "wrong"}))
        for who in (cid, unknown)
    ]
    assert basic[0] == basic[1] and post[0] == post[1]
    assert basic[0][0] == 401 and basic[0][1]["error"] == "invalid_client"
    assert "exist" not in basic[0][1]["error_description"]


def test_unknown_and_known_client_ids_get_the_same_answer_to_a_foreign_assertion(
    client, new_client, rsa_key, other_rsa_key
) -> None:  # type: ignore[no-untyped-def]
    from authlib.oauth2.rfc7523 import private_key_jwt_sign

    cid, _ = new_client("VN", jwks=public_jwks(rsa_key))

    def ask(who: str):  # type: ignore[no-untyped-def]
        return client.post(
            "/oauth/token",
            data={
                **GRANT,
                "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                "client_assertion": private_key_jwt_sign(other_rsa_key, who, "http://localhost/oauth/token"),
            },
        )

    assert _answer(ask(cid)) == _answer(ask("vn-" + "f" * 16))


def test_the_holder_of_the_key_is_told_what_is_wrong_with_its_assertion(client, new_client, rsa_key) -> None:  # type: ignore[no-untyped-def]
    from authlib.oauth2.rfc7523 import private_key_jwt_sign

    cid, _ = new_client("VN", jwks=public_jwks(rsa_key))
    r = client.post(
        "/oauth/token",
        data={
            **GRANT,
            "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            "client_assertion": private_key_jwt_sign(rsa_key, cid, "https://elsewhere.example/oauth/token"),
        },
    )
    assert r.status_code == 401 and "aud" in r.get_json()["error_description"]
