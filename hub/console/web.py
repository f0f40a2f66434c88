"""The console blueprint: staff sessions, CSRF on every form, error pages.

Every console page needs a signed-in staff user, except those in
:data:`hub.console.PUBLIC_ENDPOINTS`. The browser holds Flask's signed cookie (named by
the ``console_cookie_name`` setting; HttpOnly, SameSite=Lax, Secure whenever the request
came over HTTPS) with a session token; the session itself lives on the server
(:mod:`hub.auth.sessions`) and is looked up on every request, so signing out, a new
password, a disabled account or an admin ending it takes effect at the next click, as do
the ``console_session_lifetime`` and ``console_idle_timeout`` settings.
"""

from __future__ import annotations

import functools
from datetime import timedelta
from typing import Any, Callable
from urllib.parse import urlsplit

from flask import Blueprint, Flask, abort, g, redirect, render_template, request, session, url_for
from flask.sessions import SecureCookieSessionInterface
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError, CSRFProtect
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

from .. import hub_of
from ..auth import actor_for_user
from ..auth import sessions as staff_sessions
from ..auth.models import StaffUser
from ..store.db import transaction
from . import PUBLIC_ENDPOINTS

bp = Blueprint(
    "console",
    __name__,
    url_prefix="/console",
    template_folder="templates",
    static_folder="static",
    static_url_path="/static",
)
csrf = CSRFProtect()


class _Sessions(SecureCookieSessionInterface):
    """Secure cookies whenever the request itself came over HTTPS (behind a proxy, set
    up ProxyFix so that ``request.is_secure`` is right)."""

    def get_cookie_secure(self, app: Flask) -> bool:
        return bool(app.config.get("SESSION_COOKIE_SECURE")) or request.is_secure


def init_app(app: Flask) -> None:
    settings = hub_of(app).settings
    # Flask's defaults hold SESSION_COOKIE_NAME already ("session"): set it, not setdefault.
    app.config.update(
        SESSION_COOKIE_NAME=settings.console_cookie_name,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_PATH="/",
        PERMANENT_SESSION_LIFETIME=timedelta(seconds=settings.console_session_lifetime),
        WTF_CSRF_CHECK_DEFAULT=False,
        WTF_CSRF_TIME_LIMIT=None,
    )
    if settings.public_url.startswith("https://"):
        app.config["SESSION_COOKIE_SECURE"] = True
    app.session_interface = _Sessions()
    csrf.init_app(app)


def session_limits() -> staff_sessions.Limits:
    settings = hub_of().settings
    return staff_sessions.Limits(settings.console_session_lifetime, settings.console_idle_timeout)


def current_user() -> StaffUser | None:
    return g.get("staff")


def current_session_id() -> int | None:
    return g.get("staff_session")


def sign_in(db: Any, user: StaffUser) -> None:
    """A fresh session for the user, stored on the server in ``db``'s transaction
    (nothing of the anonymous browser session carries over but the language)."""
    staff_sessions.purge(db, session_limits())
    token = staff_sessions.start(db, user, request.remote_addr, request.headers.get("User-Agent"))
    lang = session.get("lang")
    session.clear()
    session.permanent = True
    session["sid"] = token
    if lang:
        session["lang"] = lang


def sign_out() -> None:
    session.clear()


def safe_next(target: str | None) -> str | None:
    """Only a path inside the console: never an open redirect to another site."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not parts.path.startswith("/console/") or "\\" in target:
        return None
    return target


@bp.before_request
def _load_user() -> Response | None:
    g.staff = None
    token = session.get("sid")
    if isinstance(token, str) and request.endpoint != "console.static":
        with transaction(hub_of().sessions) as s:
            row = staff_sessions.resolve(s, token, session_limits())
            user = row.user if row is not None else None
            if row is not None:
                g.staff_session = row.id
        if user is not None:
            g.staff, g.actor = user, actor_for_user(user)
        else:
            session.pop("sid", None)
    if g.staff is None and request.endpoint not in PUBLIC_ENDPOINTS:
        # Bearer tokens do not open the console: only a staff session does.
        nxt = request.full_path.rstrip("?") if request.method == "GET" else None
        return redirect(url_for("console.login", next=nxt))
    if request.method == "POST":
        csrf.protect()
    return None


#: Pages load only the hub's own CSS and script; no framing (clickjacking), forms post
#: back to the hub only. Inline style *attributes* colour the chart legends.
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; style-src 'self'; "
    "style-src-attr 'unsafe-inline'; script-src 'self'; frame-ancestors 'none'; "
    "form-action 'self'; base-uri 'none'",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


@bp.after_request
def _headers(resp: Response) -> Response:
    for key, value in SECURITY_HEADERS.items():
        resp.headers.setdefault(key, value)
    if request.endpoint != "console.static":
        resp.headers.setdefault("Cache-Control", "no-store")  # pages hold unpublished data
    return resp


def requires(
    scope: str | None = None, roles: tuple[str, ...] = ()
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """A page for staff with ``scope`` (e.g. ``review``) or one of ``roles``; else 403."""

    def wrap(view: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(view)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            user, actor = current_user(), g.get("actor")
            if user is None or actor is None:
                abort(401)
            if (scope and scope not in actor.scopes) or (roles and user.role not in roles):
                abort(403)
            return view(*args, **kwargs)

        return guarded

    return wrap


@bp.app_template_global()
def can(scope: str) -> bool:
    actor = g.get("actor")
    return actor is not None and g.get("staff") is not None and scope in actor.scopes


@bp.app_template_global()
def is_role(*roles: str) -> bool:
    user = g.get("staff")
    return user is not None and user.role in roles


@bp.errorhandler(CSRFError)
def _csrf_failed(exc: CSRFError) -> tuple[str, int]:
    return render_template(
        "console/error.html",
        status=400,
        title=_("The form has expired"),
        message=_("For your security the form could not be sent. Go back, reload the page and try again."),
    ), 400


@bp.errorhandler(HTTPException)
def _http_error(exc: HTTPException) -> tuple[str, int] | HTTPException:
    messages = {
        401: (_("Please sign in"), _("This page needs a staff session.")),
        403: (_("Not allowed"), _("Your role does not give access to this page or action.")),
        404: (_("Not found"), _("There is no such page or record.")),
        405: (_("Not allowed"), _("This address does not take that kind of request.")),
    }
    title, message = messages.get(exc.code or 500, (exc.name, exc.description or ""))
    return render_template("console/error.html", status=exc.code, title=title, message=message), exc.code or 500
