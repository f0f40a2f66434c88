"""GET /.well-known/oauth-authorization-server (RFC 8414) and the public_url setting."""

from __future__ import annotations

import pytest
from authlib.oauth2.rfc7523 import private_key_jwt_sign
from authlib.oauth2.rfc8414 import AuthorizationServerMetadata

from hub import create_app
from tests.auth.helpers import public_jwks


def test_metadata_describes_the_server(client) -> None:  # type: ignore[no-untyped-def]
    r = client.get("/.well-known/oauth-authorization-server")
    assert r.status_code == 200 and r.mimetype == "application/json"
    meta = r.get_json()
    assert meta["issuer"] == "http://localhost"
    assert meta["token_endpoint"] == "http://localhost/oauth/token"
    assert meta["revocation_endpoint"] == "http://localhost/oauth/revoke"
    assert meta["introspection_endpoint"] == "http://localhost/oauth/introspect"
    assert meta["grant_types_supported"] == ["client_credentials"]
    assert meta["token_endpoint_auth_methods_supported"] == [
        "client_secret_basic",
        "client_secret_post",
        "private_key_jwt",
    ]
    assert "RS256" in meta["token_endpoint_auth_signing_alg_values_supported"]
    assert meta["scopes_supported"] == ["exchange:read", "exchange:write", "exchange:validate", "review", "admin"]


def test_metadata_passes_authlibs_rfc8414_validation(client) -> None:  # type: ignore[no-untyped-def]
    meta = AuthorizationServerMetadata(client.get("/.well-known/oauth-authorization-server").get_json())
    for key in meta.REGISTRY_KEYS:
        if key == "response_types_supported":
            # RFC 8414 makes it required; the hub has no authorization endpoint, so it
            # is an empty array, which Authlib's validator counts as missing.
            assert meta[key] == []
            continue
        getattr(meta, f"validate_{key}")()


def test_public_url_sets_issuer_endpoints_and_assertion_audience(settings, hub, new_client, rsa_key) -> None:  # type: ignore[no-untyped-def]
    app = create_app(
        {
            "database_url": settings.database_url,
            "secret_key": "t",
            "instance_path": settings.instance_path,
            "public_url": "https://hub.example.org/",
        }
    )
    web = app.test_client()
    meta = web.get("/.well-known/oauth-authorization-server").get_json()
    assert meta["issuer"] == "https://hub.example.org"
    assert meta["token_endpoint"] == "https://hub.example.org/oauth/token"
    cid, _ = new_client("VN", jwks=public_jwks(rsa_key))

    def ask(aud: str):  # type: ignore[no-untyped-def]
        return web.post(
            "/oauth/token",
            data={
                "grant_type": "client_credentials",
                "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                "client_assertion": private_key_jwt_sign(rsa_key, cid, aud),
            },
        )

    assert ask("https://hub.example.org/oauth/token").status_code == 200
    assert ask("http://localhost/oauth/token").status_code in (400, 401)


@pytest.mark.parametrize("url, status", [("http://10.0.0.5:8000", 400), ("http://127.0.0.1:8000", 200)])
def test_oauth_over_plain_http_only_on_loopback(settings, hub, new_client, url, status) -> None:  # type: ignore[no-untyped-def]
    """Secrets must not cross a network in clear: plain HTTP is for loopback (and tests)."""
    app = create_app(
        {
            "database_url": settings.database_url,
            "secret_key": "t",
            "instance_path": settings.instance_path,
            "public_url": url,
        }
    )
    cid, secret = new_client("VN")
    r = app.test_client().post("/oauth/token", data={"grant_type": "client_credentials"}, auth=(cid, secret))
    assert r.status_code == status
    if status == 400:
        assert r.get_json()["error"] == "insecure_transport"
