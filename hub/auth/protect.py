"""The one mechanism that protects every API route: ``@require(scope)``.

It authenticates the bearer token (Authlib's ResourceProtector; tokens are looked up
by digest; expired and revoked tokens, and tokens of revoked clients, are refused),
checks the scope, optionally checks that a ``{country}`` in the URL is the client's
own, and sets ``flask.g.actor`` to the :class:`~hub.actors.Actor` the services expect.

Refusals are answered here, as a response, not raised: an app-wide error handler
(flask-smorest's) would otherwise drop the ``WWW-Authenticate`` header. Bodies are
``application/problem+json`` (SPEC 8); the header follows RFC 6750 and SPEC 7::

    401  WWW-Authenticate: Bearer realm="ovop-hub", error="invalid_token", error_description="..."
    403  WWW-Authenticate: Bearer realm="ovop-hub", error="insufficient_scope", scope="exchange:write", ...
    403  (token of another country on a country-bound route) problem with code "forbidden"
    429  (too many refused requests from one address: setting refused_rate_limit) Retry-After
"""

from __future__ import annotations

import functools
from typing import Any, Callable

from authlib.integrations.flask_oauth2 import ResourceProtector
from authlib.oauth2 import OAuth2Error
from authlib.oauth2.rfc6750 import BearerTokenValidator, InsufficientScopeError, InvalidTokenError
from flask import Response, g

from .. import hub_of
from ..actors import Actor
from ..web.errors import problem
from .limits import limit_refusal
from .models import SCOPES, AccessToken

REALM = "ovop-hub"

#: Endpoints anyone may call without a token: the landing page, the OAuth metadata,
#: the API description, the health probes and the metrics (which check their own
#: access: hub/web/metrics.py). The single allowlist: the authorization matrix test
#: (tests/auth/test_matrix.py) requires every other endpoint to refuse a request
#: without a valid token.
PUBLIC_ENDPOINTS = frozenset(
    {
        "static",
        "home.index",
        "oauth.metadata",
        "api-docs.openapi_json",
        "api-docs.openapi_swagger_ui",
        "swagger_assets",
        "standard.kind_schema",  # the standard as JSON Schema: public like the OpenAPI document
        "health.healthz",
        "health.readyz",
        "metrics.scrape",
    }
)
#: OAuth endpoints protected by client authentication instead of a bearer token.
CLIENT_AUTH_ENDPOINTS = frozenset({"oauth.token", "oauth.revoke", "oauth.introspect"})


class _TokenValidator(BearerTokenValidator):
    """Bearer tokens by digest, with a precise reason when one is refused."""

    def authenticate_token(self, token_string: str) -> AccessToken | None:
        from .server import find_token

        return find_token(hub_of(), token_string)

    def validate_token(self, token: AccessToken | None, scopes: Any, request: Any) -> None:
        if token is None:
            raise InvalidTokenError("The access token is unknown.", realm=self.realm)
        if token.is_revoked():
            raise InvalidTokenError("The access token was revoked.", realm=self.realm)
        if token.is_expired():
            raise InvalidTokenError("The access token has expired: ask for a new one.", realm=self.realm)
        if self.scope_insufficient(token.get_scope(), scopes):
            raise InsufficientScopeError()


_protector = ResourceProtector()
_protector.register_token_validator(_TokenValidator(realm=REALM))


def actor_for_token(token: AccessToken) -> Actor:
    """The actor of a machine client: its own country, the token's scopes."""
    return Actor(
        id=f"client:{token.client_id}", country=token.client.country, scopes=frozenset(token.scope.split()), role=None
    )


def require(
    scope: str, country_param: str | None = None, also: tuple[str, ...] = ()
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Decorator: the view needs a valid bearer token with ``scope`` (or one of ``also``).

    With ``country_param``, the URL parameter of that name must be the client's country
    (else 403 ``forbidden``). The view finds the actor in ``flask.g.actor``. The view
    function carries ``_hub_scope`` and ``_hub_country_param`` for the matrix test.
    """
    for name in (scope, *also):
        if name not in SCOPES:
            raise ValueError(f"unknown scope {name!r}; one of {SCOPES}")

    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(view)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            try:
                token = _protector.acquire_token([scope, *also])  # any one of them
            except InsufficientScopeError:
                return insufficient_scope(scope)
            except OAuth2Error as error:
                return limit_refusal(invalid_token(error))
            actor = actor_for_token(token)
            g.actor = actor
            if country_param is not None:
                wanted = str(kwargs.get(country_param, "")).upper()
                if not actor.may_write(wanted):
                    return problem(
                        403, "Forbidden", f"This client acts for {actor.country} only, not {wanted}.", code="forbidden"
                    )
            return view(*args, **kwargs)

        guarded._hub_scope = scope  # type: ignore[attr-defined]
        guarded._hub_country_param = country_param  # type: ignore[attr-defined]
        return guarded

    return decorate


def current_actor() -> Actor | None:
    """The actor of this request (set by :func:`require` or the console login), if any."""
    return g.get("actor")


def invalid_token(error: OAuth2Error) -> Response:
    """401 for a missing, malformed, unknown, expired or revoked token."""
    if isinstance(error, InvalidTokenError):
        detail = error.get_error_description()
    elif error.error == "missing_authorization":
        detail = "The request has no access token: send 'Authorization: Bearer <token>'."
    else:
        detail = "The Authorization header is not 'Bearer <token>'."
    return _refusal(401, "Unauthorized", detail, "invalid_token")


def insufficient_scope(scope: str) -> Response:
    """403 for a valid token without the scope the route needs."""
    return _refusal(
        403, "Forbidden", f"This request needs a token with scope {scope}.", "insufficient_scope", scope=scope
    )


def _refusal(status: int, title: str, detail: str, code: str, **params: str) -> Response:
    resp = problem(status, title, detail, code=code)
    fields = [f'realm="{REALM}"', f'error="{code}"', f'error_description="{detail}"']
    fields += [f'{k}="{v}"' for k, v in params.items()]
    resp.headers["WWW-Authenticate"] = "Bearer " + ", ".join(fields)
    resp.headers["Cache-Control"] = "no-store"
    return resp
