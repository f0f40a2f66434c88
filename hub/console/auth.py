"""Sign in, sign out and the language switch."""
from __future__ import annotations

from datetime import timezone

from flask import Response, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import refresh
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired, Length

from ..db import transaction
from ..models import utcnow
from . import accounts
from .format import register
from .i18n import LANGUAGES
from .web import bp, current_user, hub, safe_next, sign_in, sign_out

register(bp)


class LoginForm(FlaskForm):
    email = EmailField("email", validators=[DataRequired(), Length(max=254)])
    password = PasswordField("password", validators=[DataRequired(), Length(max=1024)])


@bp.route("/login", methods=["GET", "POST"])
def login() -> Response | str | tuple[str, int]:
    if current_user() is not None and request.method == "GET":
        return redirect(url_for("console.dashboard"))
    form = LoginForm()
    error = None
    if request.method == "POST":
        if not form.validate():
            error = _("Enter your e-mail address and password.")
        else:
            with transaction(hub().sessions) as s:
                result = accounts.sign_in(s, form.email.data or "", form.password.data or "")
                saved = accounts.locale_of(s, result.user.id) if result.user else None
                if result.user is not None:
                    s.expunge(result.user)
            if result.user is not None:
                sign_in(result.user)
                if saved:
                    session["lang"] = saved
                return redirect(safe_next(request.args.get("next")) or url_for("console.dashboard"))
            if result.locked_until is not None:
                minutes = max(1, int((result.locked_until.replace(tzinfo=timezone.utc)
                                      - utcnow()).total_seconds() + 59) // 60)
                error = _("Too many failed attempts. Try again in %(minutes)d minutes.", minutes=minutes)
            else:
                error = _("The e-mail address or the password is not right.")
    return render_template("console/login.html", form=form, error=error)


@bp.post("/logout")
def logout() -> Response:
    lang = session.get("lang")
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
            with transaction(hub().sessions) as s:
                accounts.set_locale(s, user.id, lang)
        refresh()
    target = safe_next(request.form.get("next")) or url_for("console.dashboard")
    return redirect(target)
