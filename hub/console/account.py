"""The signed-in user's own account: a new password, and the sessions that are open."""

from __future__ import annotations

from flask import flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from .. import hub_of
from ..auth import sessions as staff_sessions
from ..auth import users as staff
from ..store import audit
from ..store.db import transaction
from ..store.models import utcnow
from ..timezones import time_zones
from .web import bp, current_session_id, current_user, session_limits, sign_in


@bp.get("/account")
def account() -> str:
    user = current_user()
    assert user is not None
    with hub_of().sessions() as s:
        rows = staff_sessions.active(s, session_limits(), user_id=user.id)
    return render_template(
        "console/account.html",
        rows=rows,
        current=current_session_id(),
        min_password=staff.MIN_PASSWORD,
        zones=sorted(time_zones()),
        default_zone=hub_of().settings.console_time_zone,
        now=utcnow(),
    )


@bp.post("/account/time-zone")
def set_time_zone() -> Response:
    """The zone the console shows this user's times in ("" goes back to the hub's)."""
    user = current_user()
    assert user is not None
    zone = (request.form.get("time_zone") or "").strip() or None
    try:
        with transaction(hub_of().sessions) as s:
            staff.set_time_zone(s, user.id, zone)
    except staff.UserError as exc:
        flash(_("The time zone was not changed: %(reason)s", reason=str(exc)), "error")
    else:
        flash(_("Times are now shown in %(zone)s.", zone=zone or hub_of().settings.console_time_zone), "success")
    return redirect(url_for("console.account"))


@bp.post("/account/password")
def change_password() -> Response:
    """A new password ends every session of the user; this browser gets a fresh one."""
    user = current_user()
    assert user is not None
    form = request.form
    if form.get("new", "") != form.get("new2", ""):
        flash(_("The two passwords differ."), "error")
        return redirect(url_for("console.account"))
    try:
        with transaction(hub_of().sessions) as s:
            staff.change_password(s, user.id, form.get("current", ""), form.get("new", ""))
            sign_in(s, user)
    except staff.UserError as exc:
        flash(_("The password was not changed: %(reason)s", reason=str(exc)), "error")
    else:
        flash(_("Your password was changed; every other session of yours has ended."), "success")
    return redirect(url_for("console.account"))


@bp.post("/account/sessions/<int:session_id>/end")
def end_own_session(session_id: int) -> Response:
    user = current_user()
    assert user is not None
    with transaction(hub_of().sessions) as s:
        row = staff_sessions.end_by_id(s, session_id, user_id=user.id)
        if row is not None:
            audit.record(s, g.actor.id, "session.end", f"user:{user.email}", {"session": session_id})
    if row is None:
        flash(_("That session had ended already."), "info")
    elif session_id == current_session_id():
        return redirect(url_for("console.login"))
    else:
        flash(_("The session was ended."), "success")
    return redirect(url_for("console.account"))
