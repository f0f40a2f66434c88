"""The OAuth endpoints (SPEC 7): token, revocation, introspection, metadata.

Their answers, including errors, are those of RFC 6749 section 5 (``{"error",
"error_description"}`` as JSON), which every OAuth client library reads; only the
protected API routes answer with problem+json, and so does a ``429`` here (with the
OAuth members too: :mod:`.limits`). Refused token requests are audited as counts per
claimed client and minute (:class:`hub.store.audit.Tally`), never one chain write each.
"""

from __future__ import annotations

from typing import Any

from authlib.oauth2.rfc6749.errors import InsecureTransportError, InvalidRequestError
from flask import Blueprint, Response, current_app, g, jsonify, request
from flask_limiter import RateLimitExceeded

from ..store import audit
from .claimed import FORM, claimed_client
from .limits import address, oauth_limits, oauth_too_many
from .server import HubAuthorizationServer

bp = Blueprint("oauth", __name__)
bp.register_error_handler(RateLimitExceeded, oauth_too_many)


def _server() -> HubAuthorizationServer:
    return current_app.extensions["oauth_server"]


def _oauth_error(error: Any) -> Response:
    status, body, headers = error()
    resp = jsonify(body)
    resp.status_code = status
    for key, value in headers:
        if key.lower() != "content-type":
            resp.headers[key] = value
    return resp


def _form_only() -> Response | None:
    """RFC 6749 3.2: the token, revocation and introspection endpoints take form bodies,
    in which no parameter may appear more than once (RFC 6749 section 3.1)."""
    if request.mimetype != FORM:
        return _oauth_error(InvalidRequestError(f"Send the parameters as {FORM}, not {request.mimetype or 'nothing'}."))
    repeated = sorted(key for key, values in request.form.lists() if len(values) > 1)
    if repeated:
        return _oauth_error(InvalidRequestError(f"Parameters may not be repeated: {', '.join(repeated)[:100]}."))
    return None


def _answer(name: str) -> Response:
    refusal = _form_only()
    if refusal is not None:
        return refusal
    try:
        if name == "token":
            return _server().create_token_response()
        return _server().create_endpoint_response(name)
    except InsecureTransportError as error:
        return _oauth_error(error)


@bp.post("/oauth/token")
@oauth_limits
def token() -> Response:
    """client_credentials; client_secret_basic, client_secret_post or private_key_jwt."""
    resp = _answer("token")
    if resp.status_code != 200:
        _audit_refusal(resp)
    return resp


@bp.post("/oauth/revoke")
@oauth_limits
def revoke() -> Response:
    """RFC 7009: revoke one of the client's own tokens."""
    return _answer("revocation")


@bp.post("/oauth/introspect")
@oauth_limits
def introspect() -> Response:
    """RFC 7662: own tokens; clients with scope admin, any token."""
    return _answer("introspection")


@bp.get("/.well-known/oauth-authorization-server")
def metadata() -> Response:
    """RFC 8414 authorization server metadata (its URLs come from ``public_url``)."""
    resp = jsonify(_server().metadata())
    resp.headers["Cache-Control"] = "public, max-age=3600"
    return resp


def _audit_refusal(resp: Response) -> None:
    """Count a refused token request: who claimed to ask, how, from where, why. A
    registered client's refusals are counted under it; those naming no registered client
    together (the ids they claimed are a facet), so random ids cannot multiply entries."""
    body = resp.get_json(silent=True) or {}
    claimed, method = claimed_client()
    known = bool(claimed and g.get("claimed_known"))
    audit.tally_of(current_app).count(
        "anonymous",
        "token.refused",
        f"client:{claimed}" if known else None,
        claimed=None if known else claimed,
        error=body.get("error"),
        reason=g.get("refusal_reason") or body.get("error_description"),
        method=method,
        addr=address(),
        status=str(resp.status_code),
    )
