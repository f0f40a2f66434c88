"""Helpers to register clients and get tokens in tests (importable by other test packages)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from joserfc.jwk import KeySet

from hub.auth import clients
from hub.auth.models import AccessToken, digest
from hub.services import Hub
from hub.store.db import transaction
from hub.store.models import AuditEntry, utcnow

ALL_SCOPES = ("exchange:read", "exchange:write", "review", "admin")


def make_client(
    hub: Hub,
    country: str = "VN",
    scopes: tuple[str, ...] = ("exchange:read", "exchange:write"),
    jwks: dict[str, Any] | None = None,
    name: str = "test system",
) -> tuple[str, str | None]:
    """Register a client through the registry; returns (client_id, client_secret)."""
    with transaction(hub.sessions) as session:
        creds = clients.create(session, "test", country=country, name=name, scopes=scopes, jwks=jwks)
    return creds.client_id, creds.client_secret


def get_token(client: Any, client_id: str, secret: str, scope: str | None = None) -> str:
    """An access token from POST /oauth/token (client_secret_basic)."""
    data = {"grant_type": "client_credentials"}
    if scope is not None:
        data["scope"] = scope
    r = client.post("/oauth/token", data=data, auth=(client_id, secret))
    assert r.status_code == 200, r.get_json()
    return r.get_json()["access_token"]


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def expire(hub: Hub, token: str) -> None:
    """Move a token's expiry into the past (time travel without sleeping)."""
    with transaction(hub.sessions) as session:
        session.execute(
            sa.update(AccessToken)
            .where(AccessToken.token_hash == digest(token))
            .values(expires_at=utcnow() - timedelta(seconds=1))
        )


def audit_entries(hub: Hub, action: str) -> list[AuditEntry]:
    with hub.sessions() as session:
        return list(session.scalars(sa.select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.seq)))


def public_jwks(*keys: Any) -> dict[str, Any]:
    """The public JWKS a partner registers for its private key(s)."""
    return KeySet(list(keys)).as_dict(private=False)


def partner_headers(hub: Hub, client: Any, country: str, scopes: tuple[str, ...]) -> dict[str, str]:
    """Bearer headers of a new partner system of ``country`` with ``scopes``."""
    cid, secret = make_client(hub, country, scopes)
    return bearer(get_token(client, cid, secret))  # type: ignore[arg-type]


def tallied(client: Any, hub: Hub, action: str) -> dict[str | None, dict[str, Any]]:
    """Counted security events of ``action`` (hub.store.audit.Tally), written to the chain now,
    merged per target across time windows: ``{target: {"count": n, facet: {value: n}}}``."""
    from hub.store import audit

    audit.tally_of(client.application).flush(everything=True)
    merged: dict[str | None, dict[str, Any]] = {}
    for entry in audit_entries(hub, action):
        assert entry.detail["aggregate"] is True
        into = merged.setdefault(entry.target, {"count": 0})
        into["count"] += entry.detail["count"]
        for name, values in entry.detail.items():
            if isinstance(values, dict):
                for value, n in values.items():
                    into.setdefault(name, {})[value] = into.setdefault(name, {}).get(value, 0) + n
    return merged
