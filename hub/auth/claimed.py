"""Who a request to the OAuth endpoints claims to be, before anything is verified: the
client id of its Basic header, its ``client_id`` form field or its assertion's ``sub``.

Used to key the per-client rate limit and to name the client in the audit log; never to
grant anything.
"""

from __future__ import annotations

import base64
from urllib.parse import unquote

import orjson
from flask import g, request

FORM = "application/x-www-form-urlencoded"


def claimed_client() -> tuple[str | None, str | None]:
    """The client id the request claims (unverified), and the authentication it tried."""
    if "claimed_client" not in g:
        g.claimed_client = _claimed()
    return g.claimed_client


def _claimed() -> tuple[str | None, str | None]:
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
