"""The issuer, the token endpoint audience and absolute links come from ``public_url``,
never from the Host header; ``hub serve`` will not start without it off loopback
(issue 11, item 6)."""

from __future__ import annotations

import pytest
from authlib.oauth2.rfc7523 import private_key_jwt_sign
from click.testing import CliRunner

from hub import config, create_app
from hub.actors import Actor
from hub.cli import cli
from hub.curation.members import set_policy
from hub.operations.serve import ServerOptions, public_url
from hub.store.db import transaction
from tests.auth.helpers import bearer, get_token, make_client, public_jwks
from tests.conftest import product

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
EVIL = {"Host": "evil.example"}


@pytest.fixture
def hub_a(settings, hub):  # type: ignore[no-untyped-def]
    app = create_app(
        {
            "database_url": settings.database_url,
            "secret_key": "t",
            "instance_path": settings.instance_path,
            "public_url": "https://hub-a.example",
        }
    )
    yield app
    app.extensions["hub"].engine.dispose()


def ask(web, assertion: str, **kw):  # type: ignore[no-untyped-def]
    return web.post(
        "/oauth/token",
        data={
            "grant_type": "client_credentials",
            "client_assertion_type": ASSERTION_TYPE,
            "client_assertion": assertion,
        },
        **kw,
    )


def test_an_assertion_for_another_hub_is_refused_even_with_that_hubs_host(hub_a, hub, rsa_key) -> None:  # type: ignore[no-untyped-def]
    cid, _ = make_client(hub, "VN", jwks=public_jwks(rsa_key))
    web = hub_a.test_client()
    forged = ask(
        web,
        private_key_jwt_sign(rsa_key, cid, "https://hub-b.example/oauth/token"),
        headers={"Host": "hub-b.example"},
        base_url="https://hub-b.example/",
    )
    assert forged.status_code == 401 and forged.get_json()["error"] == "invalid_client"
    ours = ask(
        web,
        private_key_jwt_sign(rsa_key, cid, "https://hub-a.example/oauth/token"),
        headers={"Host": "hub-b.example"},
        base_url="https://hub-b.example/",
    )
    assert ours.status_code == 200


def test_without_public_url_the_host_header_still_decides_nothing(client, hub, rsa_key) -> None:  # type: ignore[no-untyped-def]
    cid, _ = make_client(hub, "VN", jwks=public_jwks(rsa_key))
    r = ask(client, private_key_jwt_sign(rsa_key, cid, "http://evil.example/oauth/token"), headers=EVIL)
    assert r.status_code == 401
    assert client.get("/.well-known/oauth-authorization-server", headers=EVIL).get_json()["issuer"] == config.LOCAL_URL


def test_the_metadata_ignores_the_host_header(hub_a) -> None:  # type: ignore[no-untyped-def]
    r = hub_a.test_client().get("/.well-known/oauth-authorization-server", headers=EVIL)
    meta = r.get_json()
    assert meta["issuer"] == "https://hub-a.example"
    assert meta["token_endpoint"] == "https://hub-a.example/oauth/token"
    assert "evil" not in r.get_data(as_text=True)


def test_introspection_names_the_configured_issuer(hub_a, hub) -> None:  # type: ignore[no-untyped-def]
    web = hub_a.test_client()
    cid, secret = make_client(hub, "VN")
    token = get_token(web, cid, secret)  # type: ignore[arg-type]
    r = web.post("/oauth/introspect", data={"token": token}, auth=(cid, secret), headers=EVIL)
    assert r.get_json()["iss"] == "https://hub-a.example"


def test_link_headers_ignore_the_host_header(hub_a, hub) -> None:  # type: ignore[no-untyped-def]
    with transaction(hub.sessions) as session:
        set_policy(session, "test", "VN", "auto")
    hub.writes.write(Actor("client:vn-test", "VN"), "products", [product(1), product(2)], source="api")
    web = hub_a.test_client()
    headers = {**bearer(get_token(web, *make_client(hub, "VN"))), **EVIL}  # type: ignore[misc]
    r = web.get("/api/v1/products?limit=1", headers=headers)
    assert r.status_code == 200
    assert r.headers["Link"].startswith("<https://hub-a.example/api/v1/products?limit=1&cursor=")


def test_a_public_url_that_is_not_a_base_url_is_refused() -> None:
    for bad in ("hub.example.org", "ftp://hub.example.org", "https://hub.example.org/?x=1", "https://u:p@hub.example"):
        with pytest.raises(config.ConfigError, match="public_url"):
            config.load({"public_url": bad, "instance_path": "/tmp/unused-instance", "secret_key": "x"}, env={})


@pytest.mark.parametrize(
    "host, port, url",
    [
        ("127.0.0.1", 8000, "http://127.0.0.1:8000"),
        ("localhost", 9000, "http://localhost:9000"),
        ("::1", 8000, "http://[::1]:8000"),
        ("127.0.0.5", 80, "http://127.0.0.5:80"),
    ],
)
def test_serve_on_loopback_defaults_public_url_to_the_bound_address(settings, host, port, url) -> None:  # type: ignore[no-untyped-def]
    assert public_url(ServerOptions(host=host, port=port), settings) == url


@pytest.mark.parametrize("host", ["0.0.0.0", "10.0.0.5", "::", "hub.example.org"])
def test_serve_off_loopback_needs_public_url(settings, host) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(config.ConfigError, match="set public_url"):
        public_url(ServerOptions(host=host), settings)
    configured = config.load(
        {
            "database_url": settings.database_url,
            "instance_path": settings.instance_path,
            "public_url": "https://hub.example.org",
        },
        env={},
    )
    assert public_url(ServerOptions(host=host), configured) == "https://hub.example.org"


def test_hub_serve_refuses_to_start_off_loopback_without_public_url(settings, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.delenv("HUB_PUBLIC_URL", raising=False)
    monkeypatch.setenv("HUB_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("HUB_INSTANCE_PATH", settings.instance_path)
    result = CliRunner().invoke(cli, ["serve", "--host", "0.0.0.0", "--port", "8999"])
    assert result.exit_code != 0
    assert "set public_url (environment HUB_PUBLIC_URL)" in result.output
    assert "Traceback" not in result.output
