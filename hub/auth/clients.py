"""The client registry: partner systems, each bound to one member country and its scopes.

Secrets are random (256 bits), shown once and stored as a digest. Every change is
audited. Revoking a client revokes its live tokens in the same transaction.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

import sqlalchemy as sa
import sqlalchemy.orm as so
from joserfc.errors import JoseError
from joserfc.jwk import KeySet, KeySetSerialization

from ..store import audit
from ..store.db import rowcount
from ..store.models import Member, utcnow
from .models import DEFAULT_SCOPES, PRIVATE_KEY_JWT, SCOPES, SECRET, AccessToken, OAuthClient, aware, digest


class RegistryError(ValueError):
    """A request the registry refuses (unknown country, bad scope, unknown client, ...)."""


@dataclass(frozen=True)
class Credentials:
    """What the operator hands to the partner, once."""

    client_id: str
    client_secret: str | None
    client: OAuthClient

    def as_dict(self) -> dict[str, Any]:
        return {"client_id": self.client_id, "client_secret": self.client_secret, **describe(self.client)}


def parse_scopes(text: str | None) -> tuple[str, ...]:
    """``"exchange:read, exchange:write"`` or space separated -> known scopes, in order."""
    if text is None:
        return DEFAULT_SCOPES
    asked = [s for s in text.replace(",", " ").split() if s]
    unknown = [s for s in asked if s not in SCOPES]
    if unknown:
        raise RegistryError(f"unknown scope(s): {' '.join(unknown)} (known: {' '.join(SCOPES)})")
    if not asked:
        raise RegistryError("a client needs at least one scope")
    return tuple(s for s in SCOPES if s in asked)


def public_key_set(jwks: dict[str, Any]) -> dict[str, Any]:
    """Check a partner's JWKS: parseable, signing keys only, no private material.

    Returns the public set as stored (``kid`` added from the thumbprint when missing).
    """
    if not isinstance(jwks, dict) or not isinstance(jwks.get("keys"), list) or not jwks["keys"]:
        raise RegistryError('a JWKS is a JSON object {"keys": [...]} with at least one key')
    try:
        keys = KeySet.import_key_set(cast(KeySetSerialization, jwks))  # its shape is checked above
    except (JoseError, ValueError, KeyError, TypeError) as exc:
        raise RegistryError(f"the JWKS cannot be read: {exc}") from None
    if not keys.keys:
        raise RegistryError("the JWKS holds no key of a supported type (RSA, EC, OKP)")
    for key in keys.keys:
        if key.key_type == "oct":
            raise RegistryError("the JWKS holds a symmetric key: register public keys only")
        if key.is_private:
            raise RegistryError(
                "the JWKS holds a private key: send the public keys only, keep the private key with the partner system"
            )
    return dict(keys.as_dict(private=False))


def create(
    session: so.Session,
    by: str,
    *,
    country: str,
    name: str,
    scopes: tuple[str, ...] = DEFAULT_SCOPES,
    jwks: dict[str, Any] | None = None,
) -> Credentials:
    """Register a client (audited). Returns its secret, which is not stored in clear."""
    country = country.upper()
    if session.get(Member, country) is None:
        raise RegistryError(f"{country} is not a member")
    name = name.strip()
    if not name or len(name) > 200:
        raise RegistryError("the client name must have 1 to 200 characters")
    scopes = parse_scopes(" ".join(scopes))
    client_id = f"{country.lower()}-{secrets.token_hex(8)}"
    secret: str | None = None
    if jwks is not None:
        stored_keys, method, secret_hash = public_key_set(jwks), PRIVATE_KEY_JWT, None
    else:
        secret = secrets.token_urlsafe(32)
        stored_keys, method, secret_hash = None, SECRET, digest(secret)
    client = OAuthClient(
        client_id=client_id,
        name=name,
        country=country,
        scope=" ".join(scopes),
        auth_method=method,
        secret_hash=secret_hash,
        jwks=stored_keys,
        created_at=utcnow(),
    )
    session.add(client)
    session.flush()
    audit.record(
        session,
        by,
        "client.create",
        f"client:{client_id}",
        {"name": name, "country": country, "scopes": list(scopes), "auth_method": method},
    )
    return Credentials(client_id, secret, client)


def listing(session: so.Session, include_revoked: bool = True) -> list[OAuthClient]:
    query = sa.select(OAuthClient).order_by(OAuthClient.country, OAuthClient.created_at)
    if not include_revoked:
        query = query.where(OAuthClient.revoked_at.is_(None))
    return list(session.scalars(query))


def get(session: so.Session, client_id: str) -> OAuthClient:
    client = session.get(OAuthClient, client_id)
    if client is None:
        raise RegistryError(f"no client {client_id}")
    return client


def revoke(session: so.Session, by: str, client_id: str) -> int:
    """Revoke a client and, at once, every live token it holds (audited). Returns how many."""
    client = get(session, client_id)
    if client.revoked_at is not None:
        raise RegistryError(f"client {client_id} is already revoked")
    now = utcnow()
    client.revoked_at = now
    killed = rowcount(
        session,
        sa.update(AccessToken)
        .where(AccessToken.client_id == client_id, AccessToken.revoked_at.is_(None), AccessToken.expires_at > now)
        .values(revoked_at=now),
    )
    audit.record(session, by, "client.revoke", f"client:{client_id}", {"tokens_revoked": killed})
    return killed


def rotate(session: so.Session, by: str, client_id: str, grace: int) -> tuple[str, datetime]:
    """Give a client a new secret; the current one stays valid for ``grace`` seconds (audited).

    Returns the new secret and the moment the old one stops working.
    """
    client = get(session, client_id)
    if client.revoked_at is not None:
        raise RegistryError(f"client {client_id} is revoked")
    if client.auth_method != SECRET:
        raise RegistryError(
            f"client {client_id} authenticates with private_key_jwt and has no secret; "
            "register its new public keys with 'hub clients keys'"
        )
    if grace < 0:
        raise RegistryError("the grace period cannot be negative")
    now = utcnow()
    secret = secrets.token_urlsafe(32)
    until = now + timedelta(seconds=grace)
    client.previous_secret_hash = client.secret_hash if grace else None
    client.previous_valid_until = until if grace else None
    client.secret_hash = digest(secret)
    client.rotated_at = now
    audit.record(
        session,
        by,
        "client.rotate",
        f"client:{client_id}",
        {"previous_valid_until": until.isoformat(timespec="seconds")},
    )
    return secret, until


def replace_keys(session: so.Session, by: str, client_id: str, jwks: dict[str, Any]) -> OAuthClient:
    """Replace the public key set of a private_key_jwt client (audited).

    For a rollover without downtime, register a set holding the old and the new key,
    then later one holding the new key only.
    """
    client = get(session, client_id)
    if client.revoked_at is not None:
        raise RegistryError(f"client {client_id} is revoked")
    if client.auth_method != PRIVATE_KEY_JWT:
        raise RegistryError(f"client {client_id} authenticates with a secret; use 'hub clients rotate'")
    client.jwks = public_key_set(jwks)
    kids = [k.get("kid") for k in client.jwks["keys"]]
    audit.record(session, by, "client.keys", f"client:{client_id}", {"kids": kids})
    return client


def describe(client: OAuthClient) -> dict[str, Any]:
    """The public facts of a client (never a secret or its digest)."""

    def stamp(at: datetime | None) -> str | None:
        return aware(at).isoformat(timespec="seconds") if at else None  # type: ignore[union-attr]

    return {
        "name": client.name,
        "country": client.country,
        "scopes": list(client.scopes),
        "auth_method": client.auth_method,
        "created_at": stamp(client.created_at),
        "rotated_at": stamp(client.rotated_at),
        "revoked_at": stamp(client.revoked_at),
        "status": "active" if client.active else "revoked",
    }
