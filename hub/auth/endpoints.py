"""The OAuth endpoints (SPEC 7): token, revocation, introspection, metadata.

Their answers, including errors, are those of RFC 6749 section 5 (``{"error",
"error_description"}`` as JSON), which every OAuth client library reads; only the
protected API routes answer with problem+json. Every refused token request is audited.
"""
from __future__ import annotations

import base64
from typing import Any
from urllib.parse import unquote

import orjson
from authlib.oauth2.rfc6749.errors import InsecureTransportError, InvalidRequestError
from flask import Blueprint, Response, current_app, jsonify, request

from .. import audit
from ..db import transaction
from .server import HubAuthorizationServer

bp = Blueprint("oauth", __name__)
FORM = "application/x-www-form-urlencoded"


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
    """RFC 6749 3.2: the token, revocation and introspection endpoints take form bodies."""
    if request.mimetype != FORM:
        return _oauth_error(InvalidRequestError(
            f"Send the parameters as {FORM}, not {request.mimetype or 'nothing'}."))
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
def token() -> Response:
    """client_credentials; client_secret_basic, client_secret_post or private_key_jwt."""
    resp = _answer("token")
    if resp.status_code != 200:
        _audit_refusal(resp)
    return resp


@bp.post("/oauth/revoke")
def revoke() -> Response:
    """RFC 7009: revoke one of the client's own tokens."""
    return _answer("revocation")


@bp.post("/oauth/introspect")
def introspect() -> Response:
    """RFC 7662: own tokens; clients with scope admin, any token."""
    return _answer("introspection")


@bp.get("/.well-known/oauth-authorization-server")
def metadata() -> Response:
    """RFC 8414 authorization server metadata."""
    resp = jsonify(_server().metadata())
    resp.headers["Cache-Control"] = "public, max-age=3600"
    return resp


def _audit_refusal(resp: Response) -> None:
    """A refused token request goes to the audit log: who claimed to ask, how, why."""
    body = resp.get_json(silent=True) or {}
    claimed, method = _claimed_client()
    detail = {"error": body.get("error"), "description": body.get("error_description"),
              "client_id": claimed, "method": method, "remote_addr": request.remote_addr,
              "status": resp.status_code}
    target = f"client:{claimed}" if claimed else None
    with transaction(current_app.extensions["hub"].sessions) as session:
        audit.record(session, "anonymous", "token.refused", target, detail)


def _claimed_client() -> tuple[str | None, str | None]:
    """The client id the request claims (unverified), and the authentication it tried."""
    header = request.headers.get("Authorization", "")
    if header[:6].lower() == "basic ":
        try:
            decoded = base64.b64decode(header[6:].strip(), validate=True).decode("utf-8")
            return unquote(decoded.partition(":")[0])[:64] or None, "client_secret_basic"
        except (ValueError, UnicodeDecodeError):
            return None, "client_secret_basic"
    form = request.form if request.mimetype == FORM else {}
    if form.get("client_assertion"):
        return _assertion_subject(form["client_assertion"]), "private_key_jwt"
    if form.get("client_id"):
        return str(form["client_id"])[:64], "client_secret_post" if form.get("client_secret") else None
    return None, None


def _assertion_subject(assertion: str) -> str | None:
    try:
        payload = assertion.split(".")[1]
        claims = orjson.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        sub = claims.get("sub") if isinstance(claims, dict) else None
        return sub[:64] if isinstance(sub, str) else None
    except (IndexError, ValueError):
        return None
