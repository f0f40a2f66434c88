"""Fixtures of the access-model tests: clients, tokens, keys."""

from __future__ import annotations

from typing import Any, Callable

import pytest
from joserfc.jwk import RSAKey

from hub.services import Hub
from tests.auth.helpers import get_token, make_client


@pytest.fixture
def new_client(hub: Hub) -> Callable[..., tuple[str, str | None]]:
    """``new_client(country="VN", scopes=(...), jwks=None)`` -> (client_id, client_secret)."""

    def make(
        country: str = "VN",
        scopes: tuple[str, ...] = ("exchange:read", "exchange:write"),
        jwks: dict[str, Any] | None = None,
    ) -> tuple[str, str | None]:
        return make_client(hub, country, scopes, jwks)

    return make


@pytest.fixture
def token(client, new_client) -> Callable[..., str]:  # type: ignore[no-untyped-def]
    """``token(country="VN", scopes=(...), scope=None)`` -> a fresh access token of a new client."""

    def make(
        country: str = "VN", scopes: tuple[str, ...] = ("exchange:read", "exchange:write"), scope: str | None = None
    ) -> str:
        cid, secret = new_client(country, scopes)
        return get_token(client, cid, secret, scope)  # type: ignore[arg-type]

    return make


@pytest.fixture(scope="session")
def rsa_key() -> RSAKey:
    return RSAKey.generate_key(2048, auto_kid=True)


@pytest.fixture(scope="session")
def other_rsa_key() -> RSAKey:
    return RSAKey.generate_key(2048, auto_kid=True)
