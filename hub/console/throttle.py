"""Sign-in throttling that runs before any password hash, and the device cookie.

Flask-Limiter (the API's limiter, so the counters live in ``rate_limit_storage`` and
are shared through Redis when it is configured) counts failed sign-ins per client
address (``console_login_limit_per_address``) and across the hub
(``console_login_limit_global``); an attempt over either limit is answered 429 with
``Retry-After`` before the form is even read, so a flood costs no argon2 hash. Only
failures count: a sign-in that works uses up nothing.

A browser that signed in to an account gets a signed, HttpOnly device cookie naming
that account. Attempts for that same account from that browser skip both limits and
have their own back-off count (:mod:`.accounts`): the owner is not kept out by
strangers, and the cookie opens nothing by itself.
"""

from __future__ import annotations

import secrets
from typing import Any

from flask import current_app, request
from itsdangerous import BadSignature, URLSafeSerializer
from werkzeug.wrappers import Response

from .. import hub_of
from ..web.limits import limiter

DEVICE_MAX_AGE = 365 * 86400


def _settings() -> Any:
    return hub_of().settings


def _failed(resp: Response) -> bool:
    """A sign-in that was tried and did not work (a success redirects; a 429 tried nothing)."""
    return resp.status_code not in (302, 429)


def _address() -> str:
    return f"console-login:{request.remote_addr or '-'}"


def device_cookie_name() -> str:
    return f"{_settings().console_cookie_name}_device"


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="console-device")


def known_device(email: str | None = None) -> str:
    """The id of this browser's device cookie when it names the e-mail address being signed
    in with (that of the form, by default), else ``""``."""
    raw = request.cookies.get(device_cookie_name())
    email = (request.form.get("email", "") if email is None else email).strip().lower()
    if not raw or not email:
        return ""
    try:
        data = _serializer().loads(raw)
    except BadSignature:
        return ""
    if not isinstance(data, dict) or data.get("e") != email or not isinstance(data.get("d"), str):
        return ""
    return data["d"][:32]


def remember_device(resp: Response, email: str) -> None:
    """Mark this browser as one the account signs in from (kept a year)."""
    device = known_device(email) or secrets.token_urlsafe(16)
    resp.set_cookie(
        device_cookie_name(),
        _serializer().dumps({"e": email, "d": device}),
        max_age=DEVICE_MAX_AGE,
        path="/console/",
        httponly=True,
        samesite="Lax",
        secure=bool(current_app.config.get("SESSION_COOKIE_SECURE")) or request.is_secure,
    )


def _exempt() -> bool:
    return bool(known_device())


#: Failed sign-ins per client address, then across the hub; checked before the view runs.
per_address = limiter.limit(
    lambda: _settings().console_login_limit_per_address,
    key_func=_address,
    methods=["POST"],
    deduct_when=_failed,
    exempt_when=_exempt,
)
everyone = limiter.shared_limit(
    lambda: _settings().console_login_limit_global,
    scope="console-login-all",
    key_func=lambda: "console-login",
    methods=["POST"],
    deduct_when=_failed,
    exempt_when=_exempt,
)
