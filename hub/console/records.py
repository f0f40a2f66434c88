"""The record browser: search every record, and a record's page with its history,
audit trail and flags."""

from __future__ import annotations

from urllib.parse import urlencode

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

import schemas

from .. import hub_of
from ..curation import flags, review
from ..records import browse, diff
from ..store.db import transaction
from ..web import KIND_RULE
from .format import display_name
from .web import bp, requires

PER_PAGE = 50


def _filters() -> browse.Filters:
    a = request.args
    kind = a.get("kind") if a.get("kind") in schemas.KINDS else None
    state = a.get("state") if a.get("state") in review.STATES else None
    band = a.get("band")
    return browse.Filters(
        q=(a.get("q") or "").strip()[:200] or None,
        kind=kind,
        country=(a.get("country") or "").upper()[:2] or None,
        state=state,
        category=(a.get("category") or None),
        band=int(band) if band in list("12345") else None,
        viewer=g.actor.country,
    )


@bp.get("/records")
def records() -> str:
    f = _filters()
    try:
        page = max(1, min(int(request.args.get("page", 1)), 100_000))
    except ValueError:
        page = 1
    with hub_of().sessions() as s:
        rows, total = browse.search(s, f, page, PER_PAGE)
        items = [(r.record, display_name(r.document, r.record.uid)) for r in rows]
    params = {k: v for k, v in request.args.items() if k != "page" and v}
    pages = max(1, (total + PER_PAGE - 1) // PER_PAGE)
    return render_template(
        "console/records/list.html",
        items=items,
        total=total,
        page=page,
        pages=pages,
        f=f,
        params=params,
        urlencode=urlencode,
        members=hub_of().settings.members,
    )


@bp.get(f"/records/<country>/{KIND_RULE}/<local_id>")
def record(country: str, kind: str, local_id: str) -> str:
    uid = schemas.uid(country, kind, local_id)
    with hub_of().sessions() as s:
        page = browse.record_page(s, uid, g.actor.country)
        if page is None:
            abort(404)
        record_flags = flags.for_record(s, uid)
    latest = page.revisions[0] if page.revisions else None
    shown = page.record.document or (latest.document if latest else {})
    fields = diff.flatten(shown)
    return render_template(
        "console/records/record.html",
        page=page,
        rec=page.record,
        kind=kind,
        name=display_name(shown, uid),
        fields=fields,
        flags=record_flags,
        may_see_unpublished=g.actor.may_write(country),
    )


@bp.post(f"/records/<country>/{KIND_RULE}/<local_id>/flags")
@requires("review")
def raise_flag(country: str, kind: str, local_id: str) -> Response:
    uid = schemas.uid(country, kind, local_id)
    try:
        with transaction(hub_of().sessions) as s:
            flags.raise_flag(s, g.actor, uid, request.form.get("reason", ""), request.form.get("comment"))
    except flags.FlagError as exc:
        if exc.status == 404:
            abort(404)
        flash(_("The flag was not raised: %(reason)s", reason=str(exc)), "error")
    else:
        flash(_("Flag raised. %(country)s will see it in its flags inbox.", country=country), "success")
    return redirect(url_for("console.record", country=country, kind=kind, local_id=local_id))
