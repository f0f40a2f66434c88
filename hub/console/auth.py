"""Sign in, sign out and the language switch."""

from __future__ import annotations

import math
import time

from flask import flash, g, make_response, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import refresh
from flask_limiter import RateLimitExceeded
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired, Length

from .. import hub_of
from ..auth import sessions as staff_sessions
from ..store import audit
from ..store.db import transaction
from ..store.models import utcnow
from ..web.limits import limiter
from . import accounts, throttle
from .format import register
from .i18n import LANGUAGES
from .web import bp, current_user, safe_next, sign_in, sign_out

register(bp)


class LoginForm(FlaskForm):
    email = EmailField("email", validators=[DataRequired(), Length(max=254)])
    password = PasswordField("password", validators=[DataRequired(), Length(max=1024)])


def _wait_message(seconds: float) -> str:
    seconds = max(1, math.ceil(seconds))
    if seconds < 120:
        return _("Too many failed attempts. Wait %(seconds)d seconds before you try again.", seconds=seconds)
    return _("Too many failed attempts. Try again in %(minutes)d minutes.", minutes=math.ceil(seconds / 60))


@bp.route("/login", methods=["GET", "POST"])
@throttle.per_address
@throttle.everyone
def login() -> Response | str | tuple[str, int]:
    if current_user() is not None and request.method == "GET":
        return redirect(url_for("console.dashboard"))
    form = LoginForm()
    error = None
    if request.method == "POST":
        if not form.validate():
            error = _("Enter your e-mail address and password.")
        else:
            email = form.email.data or ""
            with transaction(hub_of().sessions) as s:
                result = accounts.sign_in(
                    s,
                    email,
                    form.password.data or "",
                    device=throttle.known_device(),
                    address=request.remote_addr or "",
                )
                if result.user is not None:
                    saved = accounts.locale_of(s, result.user.id)
                    sign_in(s, result.user)
            if result.user is not None:
                if saved:
                    session["lang"] = saved
                resp = redirect(safe_next(request.args.get("next")) or url_for("console.dashboard"))
                throttle.remember_device(resp, result.user.email)
                return resp
            if result.wait_until is not None:
                error = _wait_message((result.wait_until - utcnow()).total_seconds())
            else:
                error = _("The e-mail address or the password is not right.")
    return render_template("console/login.html", form=form, error=error)


@bp.errorhandler(RateLimitExceeded)
def _too_many(exc: RateLimitExceeded) -> Response:
    """Over a sign-in limit: the login page again, 429, with ``Retry-After`` (added by
    Flask-Limiter), and no password checked."""
    hit = limiter.current_limit
    seconds = max(1, math.ceil(hit.reset_at - time.time())) if hit is not None else 60
    return make_response(
        render_template(
            "console/login.html",
            form=LoginForm(),
            error=_(
                "Too many sign-in attempts from here or across the hub. Try again in %(seconds)d seconds.",
                seconds=seconds,
            ),
        ),
        429,
    )


@bp.post("/logout")
def logout() -> Response:
    """Sign out: this session and every other session of the user end (audited)."""
    lang = session.get("lang")
    user = current_user()
    if user is not None:
        with transaction(hub_of().sessions) as s:
            ended = staff_sessions.end_all(s, user.id)
            audit.record(s, g.actor.id, "console.sign_out", f"user:{user.email}", {"sessions_ended": ended})
    sign_out()
    if lang:
        session["lang"] = lang
    flash(_("You have signed out."), "info")
    return redirect(url_for("console.login"))


@bp.post("/language")
def language() -> Response:
    """Switch the console's language; saved for the signed-in user."""
    lang = request.form.get("lang", "")
    if lang in LANGUAGES:
        session["lang"] = lang
        user = current_user()
        if user is not None:
            with transaction(hub_of().sessions) as s:
                accounts.set_locale(s, user.id, lang)
        refresh()
    target = safe_next(request.form.get("next")) or url_for("console.dashboard")
    return redirect(target)
