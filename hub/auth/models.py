"""Storage of the access model: OAuth clients, their access tokens, staff users.

Nothing that grants access is stored in clear: client secrets and access tokens are
kept as SHA-256 digests (they are 256-bit random values, so a fast hash is enough and
lets a token be looked up by its digest); staff passwords, which people choose, are
hashed with argon2 (:mod:`hub.auth.users`).
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime, timezone
from typing import Any, overload

import sqlalchemy as sa
import sqlalchemy.orm as so
from authlib.oauth2.rfc6749 import ClientMixin, TokenMixin
from authlib.oauth2.rfc6749.util import list_to_scope, scope_to_list

from ..store.models import Base, utcnow

#: The scopes of SPEC section 1, in the order they are shown.
SCOPES = ("exchange:read", "exchange:write", "exchange:validate", "review", "admin")
DEFAULT_SCOPES = ("exchange:read", "exchange:write")
#: How a client authenticates at the token endpoint.
SECRET, PRIVATE_KEY_JWT = "client_secret", "private_key_jwt"
SECRET_METHODS = ("client_secret_basic", "client_secret_post")


def digest(value: str) -> str:
    """SHA-256 hex digest of a high-entropy secret (client secret, access token)."""
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


@overload
def aware(at: datetime) -> datetime: ...
@overload
def aware(at: None) -> None: ...
def aware(at: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes for timezone-aware columns: they are UTC."""
    if at is not None and at.tzinfo is None:
        return at.replace(tzinfo=timezone.utc)
    return at


class OAuthClient(Base, ClientMixin):
    """A partner system: a confidential client bound to one member country.

    It authenticates with a secret (``client_secret_basic`` or ``client_secret_post``)
    or, when it registered a public key set, with ``private_key_jwt`` (RFC 7523).
    After a rotation the previous secret stays valid until ``previous_valid_until``.
    """

    __tablename__ = "oauth_clients"
    client_id: so.Mapped[str] = so.mapped_column(sa.String(64), primary_key=True)
    name: so.Mapped[str] = so.mapped_column(sa.String(200))
    country: so.Mapped[str] = so.mapped_column(sa.ForeignKey("members.country"))
    scope: so.Mapped[str] = so.mapped_column(sa.String(200))
    auth_method: so.Mapped[str] = so.mapped_column(sa.String(20))
    secret_hash: so.Mapped[str | None] = so.mapped_column(sa.String(64))
    previous_secret_hash: so.Mapped[str | None] = so.mapped_column(sa.String(64))
    previous_valid_until: so.Mapped[datetime | None]
    jwks: so.Mapped[dict[str, Any] | None]
    created_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)
    rotated_at: so.Mapped[datetime | None]
    revoked_at: so.Mapped[datetime | None]

    @property
    def scopes(self) -> tuple[str, ...]:
        return tuple(scope_to_list(self.scope) or ())

    @property
    def is_admin(self) -> bool:
        return "admin" in self.scopes

    @property
    def active(self) -> bool:
        return self.revoked_at is None

    # -- Authlib's ClientMixin ----------------------------------------------------

    def get_client_id(self) -> str:
        return self.client_id

    def get_default_redirect_uri(self) -> None:
        return None

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return False

    def check_response_type(self, response_type: str) -> bool:
        return False

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type == "client_credentials"

    def get_allowed_scope(self, scope: str | None) -> str | None:
        """No scope asked: every allowed scope. Anything beyond them: ``None`` (invalid_scope)."""
        if not scope:
            return self.scope
        asked = scope_to_list(scope)
        if not set(asked) <= set(self.scopes):
            return None
        return list_to_scope([s for s in SCOPES if s in asked])

    def check_client_secret(self, client_secret: str) -> bool:
        if self.auth_method != SECRET or not self.active or self.secret_hash is None:
            return False
        given = digest(client_secret)
        if hmac.compare_digest(given, self.secret_hash):
            return True
        grace = aware(self.previous_valid_until)
        return bool(
            self.previous_secret_hash
            and grace
            and grace > utcnow()
            and hmac.compare_digest(given, self.previous_secret_hash)
        )

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        if not self.active:
            return False
        if self.auth_method == PRIVATE_KEY_JWT:
            return method == PRIVATE_KEY_JWT
        return method in SECRET_METHODS


class AccessToken(Base, TokenMixin):
    """An issued bearer token, known by the SHA-256 digest of its value only."""

    __tablename__ = "oauth_tokens"
    id: so.Mapped[int] = so.mapped_column(primary_key=True, autoincrement=True)
    token_hash: so.Mapped[str] = so.mapped_column(sa.String(64), unique=True)
    client_id: so.Mapped[str] = so.mapped_column(sa.ForeignKey("oauth_clients.client_id"), index=True)
    scope: so.Mapped[str] = so.mapped_column(sa.String(200))
    issued_at: so.Mapped[datetime]
    expires_at: so.Mapped[datetime]
    revoked_at: so.Mapped[datetime | None]

    client: so.Mapped[OAuthClient] = so.relationship(lazy="joined", innerjoin=True)

    # -- Authlib's TokenMixin -----------------------------------------------------

    def check_client(self, client: OAuthClient) -> bool:
        return self.client_id == client.client_id

    def get_client(self) -> OAuthClient:
        return self.client

    def get_user(self) -> None:
        return None

    def get_scope(self) -> str:
        return self.scope

    def get_expires_in(self) -> int:
        return int((aware(self.expires_at) - aware(self.issued_at)).total_seconds())

    def is_expired(self) -> bool:
        return aware(self.expires_at) <= utcnow()

    def is_revoked(self) -> bool:
        """Revoked itself, or its client was revoked (which kills every token at once)."""
        return self.revoked_at is not None or self.client.revoked_at is not None


class UsedAssertion(Base):
    """``jti`` of private_key_jwt assertions already seen, kept until they expire (replay)."""

    __tablename__ = "oauth_used_assertions"
    client_id: so.Mapped[str] = so.mapped_column(sa.String(64), primary_key=True)
    jti: so.Mapped[str] = so.mapped_column(sa.String(200), primary_key=True)
    expires_at: so.Mapped[datetime] = so.mapped_column(index=True)


class StaffUser(Base):
    """A person: reviewer (one country), secretariat (all countries) or admin."""

    __tablename__ = "staff_users"
    id: so.Mapped[int] = so.mapped_column(primary_key=True, autoincrement=True)
    email: so.Mapped[str] = so.mapped_column(sa.String(254), unique=True)
    role: so.Mapped[str] = so.mapped_column(sa.String(20))
    country: so.Mapped[str | None] = so.mapped_column(sa.ForeignKey("members.country"))
    password_hash: so.Mapped[str] = so.mapped_column(sa.String(200))
    created_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)
    disabled_at: so.Mapped[datetime | None]
    #: IANA zone the console shows this person's times in; None: the hub's console_time_zone
    time_zone: so.Mapped[str | None] = so.mapped_column(sa.String(64))


class StaffSession(Base):
    """A signed-in console session, checked on every request so that it can be ended.

    The browser's cookie holds a random token; only its SHA-256 digest is stored, so a
    copy of the database opens no session. Rows go when the session ends (sign-out, a
    password change, the account disabled, an admin ending it) or expires.
    """

    __tablename__ = "staff_sessions"
    id: so.Mapped[int] = so.mapped_column(primary_key=True, autoincrement=True)
    token_hash: so.Mapped[str] = so.mapped_column(sa.String(64), unique=True)
    user_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("staff_users.id"), index=True)
    created_at: so.Mapped[datetime]
    last_seen_at: so.Mapped[datetime]
    address: so.Mapped[str] = so.mapped_column(sa.String(45), default="")
    agent: so.Mapped[str] = so.mapped_column(sa.String(200), default="")

    user: so.Mapped[StaffUser] = so.relationship(lazy="joined", innerjoin=True)
