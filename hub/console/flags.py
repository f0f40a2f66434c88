"""The flags inbox: flags on the user's country's records, and those it raised."""

from __future__ import annotations

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from .. import hub_of
from ..curation import flags as service
from ..store.db import transaction
from .web import bp, requires, safe_next


@bp.get("/flags")
@requires("review")
def flags() -> str:
    state = request.args.get("state", "open")
    box = request.args.get("box", "received")
    box = box if box in ("received", "raised") else "received"
    query = service.FlagQuery(state=state if state in service.STATES else None, box=box)
    with hub_of().sessions() as s:
        rows = service.listing(s, g.actor, query, limit=500)
        for f in rows:
            s.expunge(f)
    return render_template(
        "console/flags.html", rows=rows, state=query.state or "all", box=box, here=request.full_path.rstrip("?")
    )


@bp.post("/flags/<int(max=2147483647):flag_id>/resolve")
@requires("review")
def resolve_flag(flag_id: int) -> Response:
    try:
        with transaction(hub_of().sessions) as s:
            service.resolve(s, g.actor, flag_id, request.form.get("comment"))
    except service.FlagError as exc:
        if exc.status in (403, 404):
            abort(exc.status)
        flash(_("The flag was not resolved: %(reason)s", reason=str(exc)), "error")
    else:
        flash(_("Flag resolved."), "success")
    return redirect(safe_next(request.form.get("back")) or url_for("console.flags"))
