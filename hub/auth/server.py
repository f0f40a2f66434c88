"""The OAuth 2.0 authorization server (Authlib): client credentials, three ways to
authenticate a client, revocation (RFC 7009), introspection (RFC 7662), metadata (RFC 8414).

Client authentication: ``client_secret_basic`` and ``client_secret_post`` for clients
holding a secret, ``private_key_jwt`` (RFC 7523) for clients that registered a public
key set. Tokens are random bearer strings; only their SHA-256 digest is stored.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta, timezone
from typing import Any, cast

import sqlalchemy as sa
import sqlalchemy.exc
from authlib.integrations.flask_oauth2 import AuthorizationServer
from authlib.integrations.flask_oauth2.requests import FlaskOAuth2Payload
from authlib.oauth2.rfc6749 import OAuth2Request
from authlib.oauth2.rfc6749.errors import InvalidClientError, InvalidScopeError
from authlib.oauth2.rfc6749.grants import ClientCredentialsGrant
from authlib.oauth2.rfc6750 import BearerTokenGenerator
from authlib.oauth2.rfc7009 import RevocationEndpoint
from authlib.oauth2.rfc7523 import JWTBearerClientAssertion
from authlib.oauth2.rfc7662 import IntrospectionEndpoint
from flask import Flask, current_app, g, request
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet, KeySetSerialization

from ..services import Hub
from ..store import audit
from ..store.db import transaction
from ..store.models import utcnow
from .models import PRIVATE_KEY_JWT, SCOPES, SECRET_METHODS, AccessToken, OAuthClient, UsedAssertion, aware, digest

CLIENT_AUTH_METHODS = [*SECRET_METHODS, PRIVATE_KEY_JWT]
#: Signature algorithms accepted in private_key_jwt assertions (asymmetric only).
ASSERTION_ALGORITHMS = ["RS256", "PS256", "ES256", "ES384", "EdDSA", "Ed25519"]
#: An assertion may live at most this long (its jti is remembered until it expires).
ASSERTION_MAX_LIFETIME = 3600
TOKEN_PATH = "/oauth/token"


#: The one answer to every failed client authentication whose caller has not proven it
#: holds the client's key: an unknown id and a known id with a wrong secret look alike.
CLIENT_AUTH_FAILED = (
    "Client authentication failed: unknown client, wrong or expired secret or assertion, "
    "or a method this client is not registered for."
)


def issuer(hub: Hub) -> str:
    """The hub's public base URL (setting ``public_url``), never the request's Host header."""
    return hub.settings.base_url


class _FormPayload(FlaskOAuth2Payload):
    """Parameters from the form-encoded body only, never from the query string."""

    @property
    def data(self):  # type: ignore[no-untyped-def]
        return self._request.form


class _FormRequest(OAuth2Request):
    def __init__(self, flask_request: Any, uri: str) -> None:
        super().__init__(method=flask_request.method, uri=uri, headers=flask_request.headers)
        self._request = flask_request
        self.payload = _FormPayload(flask_request)

    @property
    def args(self):  # type: ignore[no-untyped-def]
        return self._request.args

    @property
    def form(self):  # type: ignore[no-untyped-def]
        return self._request.form


class ClientCredentials(ClientCredentialsGrant):
    """The only grant: a partner system asks for a token with its own credentials."""

    TOKEN_ENDPOINT_AUTH_METHODS = CLIENT_AUTH_METHODS

    def validate_requested_scope(self) -> None:
        scope = self.request.payload.scope
        if scope is not None and not scope.strip():
            # RFC 6749 3.3: a scope is one or more scope tokens. An omitted scope means
            # the client's registered scopes; a present but blank one is malformed, and is
            # refused rather than silently widened to every scope the client holds.
            raise InvalidScopeError(
                "The scope parameter is empty: name at least one scope, "
                "or leave it out to get all of this client's scopes."
            )
        self.server.validate_requested_scope(scope)
        if self.client.get_allowed_scope(scope) is None:
            raise InvalidScopeError(f"This client may ask for: {self.client.scope}")


class ProvenClientError(InvalidClientError):
    """A refused assertion whose signature verified: the caller holds the client's key,
    so the precise reason (expired, wrong audience, replayed) may be told."""


class PrivateKeyJWT(JWTBearerClientAssertion):
    """``private_key_jwt``: the client signs a short JWT with its private key (RFC 7523).

    The audience is the token endpoint URL (the issuer URL is accepted too); each
    assertion's ``jti`` is accepted once (replay protection shared by every worker
    through the database).
    """

    CLIENT_AUTH_METHOD = PRIVATE_KEY_JWT

    def __init__(self, hub: Hub) -> None:
        super().__init__(validate_jti=True, leeway=60)
        self.hub = hub

    def get_audiences(self) -> list[str]:
        base = issuer(self.hub)
        return [base + TOKEN_PATH, base, base + "/"]

    def resolve_client_public_key(self, client: OAuthClient) -> KeySet:
        if not client.jwks:
            raise InvalidClientError(description="The client has no registered public key.")
        return KeySet.import_key_set(cast(KeySetSerialization, client.jwks))  # checked on registration

    def process_assertion_claims(self, assertion: str, resolve_key: Any) -> Any:
        try:
            token = jwt.decode(assertion, resolve_key, algorithms=ASSERTION_ALGORITHMS)
        except (JoseError, ValueError) as exc:
            raise InvalidClientError(description=_ascii(getattr(exc, "description", None) or str(exc))) from exc
        self.verify_claims(token.claims)
        return token.claims

    def verify_claims(self, claims: Any) -> None:
        exp = claims.get("exp")
        if isinstance(exp, (int, float)) and exp > utcnow().timestamp() + ASSERTION_MAX_LIFETIME + self.leeway:
            raise ProvenClientError(description=f"The assertion may live at most {ASSERTION_MAX_LIFETIME} s.")
        try:
            super().verify_claims(claims)
        except InvalidClientError as error:
            raise ProvenClientError(description=error.description) from None

    def validate_jti(self, claims: Any, jti: Any) -> bool:
        if not isinstance(jti, str) or not jti or len(jti) > 200:
            return False
        now = utcnow()
        expires = datetime.fromtimestamp(claims["exp"], timezone.utc) + timedelta(seconds=self.leeway)
        try:
            with transaction(self.hub.sessions) as session:
                session.execute(sa.delete(UsedAssertion).where(UsedAssertion.expires_at < now))
                session.add(UsedAssertion(client_id=claims["sub"], jti=jti, expires_at=expires))
        except sqlalchemy.exc.IntegrityError:
            return False
        return True


class Revocation(RevocationEndpoint):
    """RFC 7009: a client revokes one of its own tokens. Unknown tokens answer 200 too."""

    CLIENT_AUTH_METHODS = CLIENT_AUTH_METHODS

    def query_token(self, token_string: str, token_type_hint: str | None) -> AccessToken | None:
        return find_token(self.server.hub, token_string)

    def revoke_token(self, token: AccessToken, request: Any) -> None:
        with transaction(self.server.hub.sessions) as session:
            row = session.get(AccessToken, token.id)
            if row is not None and row.revoked_at is None:
                row.revoked_at = utcnow()
                audit.record(
                    session,
                    f"client:{token.client_id}",
                    "token.revoke",
                    f"client:{token.client_id}",
                    {"token_id": token.id},
                )


class Introspection(IntrospectionEndpoint):
    """RFC 7662: a client may introspect its own tokens; a client with scope ``admin`` any."""

    CLIENT_AUTH_METHODS = CLIENT_AUTH_METHODS

    def query_token(self, token_string: str, token_type_hint: str | None) -> AccessToken | None:
        return find_token(self.server.hub, token_string)

    def check_permission(self, token: AccessToken, client: OAuthClient, request: Any) -> bool:
        return token.client_id == client.client_id or client.is_admin

    def introspect_token(self, token: AccessToken) -> dict[str, Any]:
        return {
            "active": True,
            "client_id": token.client_id,
            "sub": token.client_id,
            "country": token.client.country,
            "scope": token.scope,
            "token_type": "Bearer",
            "iat": int(aware(token.issued_at).timestamp()),  # type: ignore[union-attr]
            "exp": int(aware(token.expires_at).timestamp()),  # type: ignore[union-attr]
            "iss": issuer(self.server.hub),
        }


class HubAuthorizationServer(AuthorizationServer):
    """Authlib's Flask authorization server on the hub's database."""

    def __init__(self, app: Flask, hub: Hub) -> None:
        super().__init__()
        self.hub = hub
        self.init_app(app, query_client=self._query_client_, save_token=self._save_token_)
        self.scopes_supported = list(SCOPES)
        lifetime = hub.settings.token_lifetime
        # Authlib's own default for client credentials is 10 days: set the lifetime explicitly.
        self.register_token_generator(
            "default",
            BearerTokenGenerator(
                access_token_generator=lambda **_: secrets.token_urlsafe(32),
                expires_generator=lambda client, grant_type: lifetime,
            ),
        )
        self.register_client_auth_method(PRIVATE_KEY_JWT, PrivateKeyJWT(hub))
        self.register_grant(ClientCredentials)
        self.register_endpoint(Revocation)
        self.register_endpoint(Introspection)

    def create_oauth2_request(self, _unused: Any) -> OAuth2Request:
        """Form parameters only; the URL as partners see it (``public_url``, not Host)."""
        return _FormRequest(request, issuer(self.hub) + request.full_path.rstrip("?"))

    def authenticate_client(self, request: Any, methods: list[str], endpoint: str = "token") -> OAuthClient:
        """Authlib's, with one answer (401, same body and header) for every failure of a
        caller that has not proven it holds the client's key, so an unknown client id and
        a known one with a wrong secret cannot be told apart. The precise reason is kept
        for the audit log (``flask.g.refusal_reason``)."""
        try:
            return super().authenticate_client(request, methods, endpoint)
        except ProvenClientError as error:
            error.status_code = 401
            raise
        except InvalidClientError as error:
            g.refusal_reason = error.description
            raise InvalidClientError(status_code=401, description=CLIENT_AUTH_FAILED) from None

    def _query_client_(self, client_id: str) -> OAuthClient | None:
        """The client, if it exists and is not revoked (a revoked client is unknown)."""
        if not isinstance(client_id, str) or len(client_id) > 64:
            return None
        with self.hub.sessions() as session:
            client = session.get(OAuthClient, client_id)
            g.claimed_known = client is not None  # for the audit log: a registered client, or noise
            return client if client is not None and client.revoked_at is None else None

    def _save_token_(self, token: dict[str, Any], request: Any) -> None:
        now = utcnow()
        client_id = request.client.client_id
        with transaction(self.hub.sessions) as session:
            session.add(
                AccessToken(
                    token_hash=digest(token["access_token"]),
                    client_id=client_id,
                    scope=token.get("scope", ""),
                    issued_at=now,
                    expires_at=now + timedelta(seconds=int(token["expires_in"])),
                )
            )
        # Audited as one entry per client and hour (a count), not one chain write per token.
        audit.tally_of(current_app).count(
            f"client:{client_id}",
            "token.issue",
            f"client:{client_id}",
            window=3600,
            method=getattr(request, "auth_method", None),
            scope=token.get("scope") or "(all)",
        )

    def metadata(self) -> dict[str, Any]:
        """RFC 8414 authorization server metadata."""
        base = issuer(self.hub)
        algs = ASSERTION_ALGORITHMS
        return {
            "issuer": base,
            "token_endpoint": base + TOKEN_PATH,
            "revocation_endpoint": base + "/oauth/revoke",
            "introspection_endpoint": base + "/oauth/introspect",
            "grant_types_supported": ["client_credentials"],
            # No authorization endpoint: machine clients only (RFC 8414 wants the member).
            "response_types_supported": [],
            "scopes_supported": list(SCOPES),
            "token_endpoint_auth_methods_supported": CLIENT_AUTH_METHODS,
            "token_endpoint_auth_signing_alg_values_supported": algs,
            "revocation_endpoint_auth_methods_supported": CLIENT_AUTH_METHODS,
            "revocation_endpoint_auth_signing_alg_values_supported": algs,
            "introspection_endpoint_auth_methods_supported": CLIENT_AUTH_METHODS,
            "introspection_endpoint_auth_signing_alg_values_supported": algs,
            "service_documentation": base + "/api/v1/docs",
        }


def find_token(hub: Hub, token_string: str) -> AccessToken | None:
    """The stored token whose digest matches (with its client), or ``None``."""
    if not token_string or len(token_string) > 512:
        return None
    with hub.sessions() as session:
        return session.scalar(sa.select(AccessToken).where(AccessToken.token_hash == digest(token_string)))


def _ascii(text: str) -> str:
    """OAuth error descriptions allow printable ASCII without quote and backslash."""
    return "".join(c for c in text if 0x20 <= ord(c) <= 0x7E and c not in '"\\')[:200]
