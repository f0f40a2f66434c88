"""Secretariat pages: partner systems (OAuth clients), staff accounts, review policies.

A new or rotated client secret is shown once, in the answer to the POST itself (never
stored, never put in a redirect or a flash message), with ``Cache-Control: no-store``.
"""

from __future__ import annotations

from typing import Any

from flask import flash, g, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from .. import hub_of
from ..auth import clients as registry
from ..auth import sessions as staff_sessions
from ..auth import users as staff
from ..auth.models import DEFAULT_SCOPES, SCOPES, StaffUser
from ..curation import members
from ..store import audit
from ..store.db import transaction
from .web import bp, requires, session_limits

MANAGERS = ("secretariat", "admin")
#: Acting on other people's accounts (disable, new password, ending sessions).
ADMINS = ("admin",)


def _by() -> str:
    return g.actor.id


def _secret_page(client_id: str, secret: str, country: str, name: str, rotated: bool) -> Response:
    resp = make_response(
        render_template(
            "console/admin/secret.html", client_id=client_id, secret=secret, country=country, name=name, rotated=rotated
        )
    )
    resp.headers["Cache-Control"] = "no-store"
    return resp


@bp.get("/admin/clients")
@requires(roles=MANAGERS)
def clients() -> str:
    with hub_of().sessions() as s:
        rows = [(c, registry.describe(c)) for c in registry.listing(s)]
        countries = [m.country for m in members.listing(s)]
    return render_template(
        "console/admin/clients.html", rows=rows, countries=countries, scopes=SCOPES, defaults=DEFAULT_SCOPES
    )


@bp.post("/admin/clients")
@requires(roles=MANAGERS)
def create_client() -> Response:
    country = (request.form.get("country") or "").upper()
    name = request.form.get("name") or ""
    chosen = tuple(s for s in SCOPES if s in request.form.getlist("scopes"))
    try:
        with transaction(hub_of().sessions) as s:
            creds = registry.create(s, _by(), country=country, name=name, scopes=chosen)
    except registry.RegistryError as exc:
        flash(_("The partner system was not registered: %(reason)s", reason=str(exc)), "error")
        return redirect(url_for("console.clients"))
    assert creds.client_secret is not None
    return _secret_page(creds.client_id, creds.client_secret, country, name.strip(), rotated=False)


@bp.post("/admin/clients/<client_id>/rotate")
@requires(roles=MANAGERS)
def rotate_client(client_id: str) -> Response:
    try:
        with transaction(hub_of().sessions) as s:
            secret, _until = registry.rotate(s, _by(), client_id, hub_of().settings.secret_rotation_grace)
            client = registry.get(s, client_id)
            country, name = client.country, client.name
    except registry.RegistryError as exc:
        flash(_("The secret was not rotated: %(reason)s", reason=str(exc)), "error")
        return redirect(url_for("console.clients"))
    return _secret_page(client_id, secret, country, name, rotated=True)


@bp.post("/admin/clients/<client_id>/revoke")
@requires(roles=MANAGERS)
def revoke_client(client_id: str) -> Response:
    try:
        with transaction(hub_of().sessions) as s:
            killed = registry.revoke(s, _by(), client_id)
    except registry.RegistryError as exc:
        flash(_("The partner system was not revoked: %(reason)s", reason=str(exc)), "error")
    else:
        flash(
            _("%(client)s revoked; %(tokens)d live token(s) stopped working.", client=client_id, tokens=killed),
            "success",
        )
    return redirect(url_for("console.clients"))


@bp.get("/admin/users")
@requires(roles=MANAGERS)
def users() -> str:
    with hub_of().sessions() as s:
        rows = staff.listing(s)
        for u in rows:
            s.expunge(u)
        countries = [m.country for m in members.listing(s)]
        open_sessions: dict[int, int] = {}
        for row in staff_sessions.active(s, session_limits()):
            open_sessions[row.user_id] = open_sessions.get(row.user_id, 0) + 1
    return render_template(
        "console/admin/users.html",
        rows=rows,
        countries=countries,
        roles=staff.ROLES,
        min_password=staff.MIN_PASSWORD,
        open_sessions=open_sessions,
    )


@bp.post("/admin/users/<int:user_id>/state")
@requires(roles=ADMINS)
def set_user_state(user_id: int) -> Response:
    disable = request.form.get("state") == "disabled"
    try:
        with transaction(hub_of().sessions) as s:
            email = _email_of(s, user_id)
            staff.set_disabled(s, _by(), email, disable)
    except staff.UserError as exc:
        flash(_("The account was not changed: %(reason)s", reason=str(exc)), "error")
    else:
        flash(
            _("Account %(email)s disabled; its sessions have ended.", email=email)
            if disable
            else _("Account %(email)s enabled.", email=email),
            "success",
        )
    return redirect(url_for("console.users"))


@bp.post("/admin/users/<int:user_id>/password")
@requires(roles=ADMINS)
def reset_password(user_id: int) -> Response:
    form = request.form
    if form.get("password", "") != form.get("password2", ""):
        flash(_("The two passwords differ."), "error")
        return redirect(url_for("console.users"))
    try:
        with transaction(hub_of().sessions) as s:
            email = _email_of(s, user_id)
            staff.reset_password(s, _by(), email, form.get("password", ""))
    except staff.UserError as exc:
        flash(_("The password was not changed: %(reason)s", reason=str(exc)), "error")
    else:
        flash(_("New password set for %(email)s; its sessions have ended.", email=email), "success")
    return redirect(url_for("console.users"))


def _email_of(s: Any, user_id: int) -> str:
    user = s.get(StaffUser, user_id)
    if user is None:
        raise staff.UserError("there is no such staff account")
    return user.email


@bp.get("/admin/sessions")
@requires(roles=ADMINS)
def all_sessions() -> str:
    with hub_of().sessions() as s:
        rows = staff_sessions.active(s, session_limits())
    return render_template("console/admin/sessions.html", rows=rows)


@bp.post("/admin/sessions/<int:session_id>/end")
@requires(roles=ADMINS)
def end_session(session_id: int) -> Response:
    with transaction(hub_of().sessions) as s:
        row = staff_sessions.end_by_id(s, session_id)
        if row is not None:
            audit.record(s, _by(), "session.end", f"user:{row.user.email}", {"session": session_id})
    if row is None:
        flash(_("That session had ended already."), "info")
    else:
        flash(_("The session of %(email)s was ended.", email=row.user.email), "success")
    return redirect(url_for("console.all_sessions"))


@bp.post("/admin/users")
@requires(roles=MANAGERS)
def create_user() -> Response:
    form = request.form
    role = form.get("role", "")
    if form.get("password", "") != form.get("password2", ""):
        flash(_("The two passwords differ."), "error")
        return redirect(url_for("console.users"))
    if role in ADMINS and g.actor.role not in ADMINS:
        # The secretariat manages staff but may not make accounts with more rights than its own.
        flash(_("Only an admin can create an admin account."), "error")
        return redirect(url_for("console.users"))
    try:
        with transaction(hub_of().sessions) as s:
            user = staff.create(
                s,
                _by(),
                email=form.get("email", ""),
                role=role,
                country=(form.get("country") or None) if role == "reviewer" else None,
                password=form.get("password", ""),
            )
            email = user.email
    except staff.UserError as exc:
        flash(_("The account was not created: %(reason)s", reason=str(exc)), "error")
    else:
        flash(_("Account %(email)s created.", email=email), "success")
    return redirect(url_for("console.users"))


@bp.get("/admin/members")
@requires(roles=MANAGERS)
def member_policies() -> str:
    with hub_of().sessions() as s:
        rows = members.listing(s)
        for m in rows:
            s.expunge(m)
    return render_template("console/admin/members.html", rows=rows)


@bp.post("/admin/members/<country>")
@requires(roles=MANAGERS)
def set_policy(country: str) -> Response:
    policy = request.form.get("policy", "")
    try:
        with transaction(hub_of().sessions) as s:
            members.set_policy(s, _by(), country.upper(), policy)
    except (ValueError, LookupError) as exc:
        flash(_("The policy was not changed: %(reason)s", reason=str(exc)), "error")
    else:
        flash(_("Review policy of %(country)s is now: %(policy)s.", country=country.upper(), policy=policy), "success")
    return redirect(url_for("console.member_policies"))


@bp.post("/admin/members/<country>/four-eyes")
@requires(roles=MANAGERS)
def set_four_eyes(country: str) -> Response:
    setting = request.form.get("four_eyes", "")
    try:
        if setting not in ("on", "off"):
            raise ValueError("four_eyes must be on or off")
        with transaction(hub_of().sessions) as s:
            members.set_four_eyes(s, _by(), country.upper(), setting == "on")
    except (ValueError, LookupError) as exc:
        flash(_("The policy was not changed: %(reason)s", reason=str(exc)), "error")
    else:
        flash(
            _("%(country)s: a revision is now reviewed by someone other than its submitter.", country=country.upper())
            if setting == "on"
            else _("%(country)s: a partner system may now approve its own revisions.", country=country.upper()),
            "success",
        )
    return redirect(url_for("console.member_policies"))
