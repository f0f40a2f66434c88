"""private_key_jwt (RFC 7523): partners that registered a public key instead of holding a secret."""

from __future__ import annotations

import time

import pytest
from authlib.oauth2.rfc7523 import private_key_jwt_sign
from joserfc.errors import SecurityWarning
from joserfc.jwk import ECKey, OKPKey, RSAKey

from hub.auth.clients import RegistryError, public_key_set
from hub.auth.models import OAuthClient
from tests.auth.helpers import bearer, public_jwks, tallied

TOKEN_URL = "http://localhost/oauth/token"
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


def ask(client, assertion: str, **extra: str):  # type: ignore[no-untyped-def]
    return client.post(
        "/oauth/token",
        data={
            "grant_type": "client_credentials",
            "client_assertion_type": ASSERTION_TYPE,
            "client_assertion": assertion,
            **extra,
        },
    )


def sign(key, cid: str, aud: str = TOKEN_URL, alg: str = "RS256", **kw) -> str:  # type: ignore[no-untyped-def]
    header = {"kid": key.kid} if key.kid else None
    return private_key_jwt_sign(key, cid, aud, alg=alg, header=header, **kw)


def test_a_signed_assertion_gets_a_token(client, new_client, rsa_key) -> None:  # type: ignore[no-untyped-def]
    cid, secret = new_client("TH", jwks=public_jwks(rsa_key))
    assert secret is None
    r = ask(client, sign(rsa_key, cid), scope="exchange:read")
    assert r.status_code == 200, r.get_json()
    me = client.get("/api/v1/whoami", headers=bearer(r.get_json()["access_token"])).get_json()
    assert me["client_id"] == cid and me["country"] == "TH" and me["scopes"] == ["exchange:read"]


def test_the_issuer_url_is_accepted_as_audience(client, new_client, rsa_key) -> None:  # type: ignore[no-untyped-def]
    cid, _ = new_client("TH", jwks=public_jwks(rsa_key))
    assert ask(client, sign(rsa_key, cid, aud="http://localhost")).status_code == 200


@pytest.mark.parametrize(
    "make, alg",
    [
        (lambda: ECKey.generate_key("P-256", auto_kid=True), "ES256"),
        (lambda: OKPKey.generate_key("Ed25519", auto_kid=True), "Ed25519"),
    ],
)
def test_ec_and_ed25519_keys(client, new_client, make, alg) -> None:  # type: ignore[no-untyped-def]
    key = make()
    cid, _ = new_client("VN", jwks=public_jwks(key))
    assert ask(client, sign(key, cid, alg=alg)).status_code == 200


def test_deprecated_eddsa_name_is_still_accepted(client, new_client) -> None:  # type: ignore[no-untyped-def]
    """RFC 9864 deprecates "EdDSA" for "Ed25519"; partner libraries still send it."""
    key = OKPKey.generate_key("Ed25519", auto_kid=True)
    cid, _ = new_client("VN", jwks=public_jwks(key))
    with pytest.warns(SecurityWarning):
        assert ask(client, sign(key, cid, alg="EdDSA")).status_code == 200


def test_key_rollover_with_two_keys_picks_by_kid(client, new_client, rsa_key, other_rsa_key) -> None:  # type: ignore[no-untyped-def]
    cid, _ = new_client("VN", jwks=public_jwks(rsa_key, other_rsa_key))
    assert ask(client, sign(rsa_key, cid)).status_code == 200
    assert ask(client, sign(other_rsa_key, cid)).status_code == 200


def test_a_replayed_assertion_is_refused(client, new_client, rsa_key, hub) -> None:  # type: ignore[no-untyped-def]
    cid, _ = new_client("VN", jwks=public_jwks(rsa_key))
    assertion = sign(rsa_key, cid)
    assert ask(client, assertion).status_code == 200
    again = ask(client, assertion)
    assert again.status_code in (400, 401) and again.get_json()["error"] == "invalid_client"
    refused = tallied(client, hub, "token.refused")
    assert refused[f"client:{cid}"]["method"] == {"private_key_jwt": 1}
    assert refused[f"client:{cid}"]["reason"] == {"JWT ID is used before.": 1}


@pytest.mark.parametrize(
    "case",
    [
        "wrong key",
        "wrong audience",
        "expired",
        "too long-lived",
        "iss differs from sub",
        "no jti",
        "unknown client",
        "garbage",
    ],
)
def test_bad_assertions_are_invalid_client(client, new_client, rsa_key, other_rsa_key, case) -> None:  # type: ignore[no-untyped-def]
    cid, _ = new_client("VN", jwks=public_jwks(rsa_key))
    now = int(time.time())
    assertion = {
        "wrong key": lambda: sign(other_rsa_key, cid),
        "wrong audience": lambda: sign(rsa_key, cid, aud="https://elsewhere.example/oauth/token"),
        "expired": lambda: sign(rsa_key, cid, issued_at=now - 7200, expires_at=now - 3600),
        "too long-lived": lambda: sign(rsa_key, cid, expires_at=now + 30 * 86400),
        "iss differs from sub": lambda: private_key_jwt_sign(rsa_key, cid, TOKEN_URL, claims={"iss": "someone-else"}),
        "no jti": lambda: _without_jti(rsa_key, cid),
        "unknown client": lambda: sign(rsa_key, "vn-ffffffffffffffff"),
        "garbage": lambda: "not.a.jwt",
    }[case]()
    r = ask(client, assertion)
    assert r.status_code in (400, 401) and r.get_json()["error"] == "invalid_client", r.get_json()


def _without_jti(key: RSAKey, cid: str) -> str:
    from joserfc import jwt

    now = int(time.time())
    return jwt.encode({"alg": "RS256"}, {"iss": cid, "sub": cid, "aud": TOKEN_URL, "iat": now, "exp": now + 60}, key)


def test_methods_do_not_mix(client, new_client, rsa_key) -> None:  # type: ignore[no-untyped-def]
    """A key client has no secret to send; a secret client cannot sign its way in."""
    key_client, _ = new_client("VN", jwks=public_jwks(rsa_key))
    r = client.post("/oauth/token", data={"grant_type": "client_credentials"}, auth=(key_client, "guess"))
    assert r.status_code == 401
    secret_client, secret = new_client("VN")
    assert ask(client, sign(rsa_key, secret_client)).status_code in (400, 401)


def test_registration_refuses_private_or_symmetric_keys(rsa_key) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(RegistryError, match="private key"):
        public_key_set({"keys": [rsa_key.as_dict(private=True)]})
    with pytest.raises(RegistryError, match="symmetric"):
        public_key_set({"keys": [{"kty": "oct", "k": "c2VjcmV0c2VjcmV0c2VjcmV0"}]})
    with pytest.raises(RegistryError):
        public_key_set({"keys": []})
    stored = public_key_set(public_jwks(rsa_key))
    assert "d" not in stored["keys"][0] and stored["keys"][0]["kid"] == rsa_key.kid


def test_registered_keys_are_stored_public(hub, new_client, rsa_key) -> None:  # type: ignore[no-untyped-def]
    cid, _ = new_client("VN", jwks=public_jwks(rsa_key))
    with hub.sessions() as session:
        stored = session.get(OAuthClient, cid)
        assert stored.auth_method == "private_key_jwt" and stored.secret_hash is None
        assert set(stored.jwks["keys"][0]) == {"kty", "n", "e", "kid"}
