"""Secretariat page: every webhook subscription, whoever owns it, with its delivery
counts; dead letters can be put back in line (audited, in their original order)."""

from __future__ import annotations

from flask import abort, flash, g, redirect, render_template, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from .. import hub_of
from ..auth import clients as registry
from ..store.db import transaction
from ..webhooks import subscriptions as webhooks
from .admin import MANAGERS
from .web import bp, requires


@bp.get("/admin/subscriptions")
@requires(roles=MANAGERS)
def subscriptions() -> str:
    with hub_of().sessions() as s:
        names = {c.client_id: f"{c.name} ({c.country})" for c in registry.listing(s)}
        rows = [(sub, webhooks.counts(s, sub.id)) for sub in webhooks.listing(s, everyone=True)]
        for sub, _counts in rows:
            s.expunge(sub)
    return render_template("console/admin/subscriptions.html", rows=rows, names=names)


@bp.post("/admin/subscriptions/<sub_id>/replay")
@requires(roles=MANAGERS)
def replay_subscription(sub_id: str) -> Response:
    try:
        with transaction(hub_of().sessions) as s:
            ids = webhooks.replay(s, sub_id, g.actor.id, everyone=True)
    except LookupError:
        abort(404)
    except webhooks.SubscriptionError as exc:
        flash(_("Nothing was replayed: %(reason)s", reason=str(exc)), "error")
    else:
        if ids:
            flash(
                _("Dead deliveries of %(sub)s queued again, oldest first: %(count)d.", count=len(ids), sub=sub_id),
                "success",
            )
        else:
            flash(_("%(sub)s has no dead deliveries.", sub=sub_id), "success")
    return redirect(url_for("console.subscriptions"))
