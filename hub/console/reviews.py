"""The review queue, a revision beside the published one, and the decisions."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from werkzeug.wrappers import Response

import schemas

from .. import hub_of
from ..curation import review, submissions
from ..records import diff
from ..web import KIND_RULE
from . import reader
from .format import display_name
from .web import bp, requires, safe_next

PER_PAGE = 50


def _query(args: Any) -> review.Query:
    state = args.get("state", "pending")
    kind = args.get("kind") or None
    country = (args.get("country") or "").upper() or None
    return review.Query(
        state=state if state in review.STATES else "pending",
        kind=kind if kind in schemas.KINDS else None,
        country=country if g.actor.country is None else None,
        q=(args.get("q") or "").strip()[:200] or None,
        warnings=args.get("warnings") == "1",
    )


def _after(args: Any) -> int:
    try:
        return max(0, min(int(args.get("after", 0)), 2**62))
    except ValueError:
        return 0


@bp.get("/reviews")
@requires("review")
def queue() -> str:
    query = _query(request.args)
    after = _after(request.args)
    with hub_of().sessions() as s:
        rows, nxt = review.queue(s, g.actor, query, limit=PER_PAGE, after=after)
        counts = {
            state: review.count(s, g.actor, review.Query(state=state, kind=query.kind, country=query.country))
            for state in review.STATES
        }
        items = [(rev, rec, display_name(rev.document, rev.uid)) for rev, rec in rows]
        first = query.state == "pending" and not after
        subs = submissions.queue(s, g.actor) if first else []
    filters = {k: v for k, v in request.args.items() if k != "after" and v}
    return render_template(
        "console/reviews/queue.html",
        items=items,
        query=query,
        counts=counts,
        subs=subs,
        next_after=nxt,
        after=after,
        filters=filters,
        here=request.full_path.rstrip("?"),
        urlencode=urlencode,
    )


@bp.post("/reviews/approve")
@requires("review")
def approve_selected() -> Response:
    """Bulk approve: the ticked revisions, each judged on its own."""
    wanted: list[tuple[str, int]] = []
    for value in request.form.getlist("item")[:500]:
        uid, _sep, version = value.rpartition("@")
        if uid and version.isdigit():
            wanted.append((uid, int(version)))
    back = safe_next(request.form.get("back")) or url_for("console.queue")
    if not wanted:
        flash(_("Tick the revisions to approve first."), "warning")
        return redirect(back)
    results = review.approve_many(hub_of().sessions, g.actor, wanted)
    done = [r for r in results if isinstance(r, review.Decision)]
    failed = [(item, r) for item, r in zip(wanted, results) if isinstance(r, review.ReviewError)]
    if done:
        flash(
            ngettext(
                "%(num)d revision approved and published.", "%(num)d revisions approved and published.", len(done)
            ),
            "success",
        )
    for (failed_uid, failed_version), err in failed:
        flash(
            _(
                "%(uid)s version %(version)d was not approved: %(reason)s",
                uid=failed_uid,
                version=failed_version,
                reason=str(err),
            ),
            "error",
        )
    return redirect(back)


def _load(country: str, kind: str, local_id: str, version: int) -> tuple[Any, Any, Any, dict[str, Any]]:
    """The revision, its record, the published revision and the records both name."""
    try:
        with hub_of().sessions() as s:
            rev, rec = review.get(s, g.actor, schemas.uid(country, kind, local_id), version)
            current = review.published_revision(s, rec)
            old = current.document if current is not None else None
            refs = reader.resolve(s, g.actor, rec.country, reader.references(kind, rev.document, old))
            return rev, rec, current, refs
    except review.ReviewError as exc:
        abort(exc.status if exc.status in (403, 404) else 404)


@bp.get(f"/reviews/<country>/{KIND_RULE}/<local_id>/<int(max=2147483647):version>")
@requires("review")
def revision(country: str, kind: str, local_id: str, version: int) -> str:
    rev, rec, current, refs = _load(country, kind, local_id, version)
    old = current.document if current is not None and current.version != rev.version else None
    rows = diff.compare(old, rev.document, rev.warnings)
    # what a reader sees for each coded value, beside the value as stored
    labels = {
        row.path: (
            reader.describe(kind, row.path, reader.value_at(old, row.path), old, refs),
            reader.describe(kind, row.path, reader.value_at(rev.document, row.path), rev.document, refs),
        )
        for row in rows
    }
    return render_template(
        "console/reviews/revision.html",
        rev=rev,
        rec=rec,
        current=current,
        rows=rows,
        labels=labels,
        facts=reader.facts(kind, rev.document, refs),
        summary=diff.summary(rows),
        kind=kind,
        name=display_name(rev.document, rev.uid),
        may_decide=review.may_review(g.actor, rec.country),
        back=safe_next(request.args.get("back")),
    )


@bp.post(f"/reviews/<country>/{KIND_RULE}/<local_id>/<int(max=2147483647):version>/decide")
@requires("review")
def decide(country: str, kind: str, local_id: str, version: int) -> Response:
    uid = schemas.uid(country, kind, local_id)
    decision = request.form.get("decision", "")
    reason = request.form.get("reason") or None
    comment = (request.form.get("comment") or "").strip()[: review.MAX_COMMENT] or None
    here = url_for("console.revision", country=country, kind=kind, local_id=local_id, version=version)
    try:
        result = review.decide(hub_of().sessions, g.actor, uid, version, decision, reason, comment)
    except review.ReviewError as exc:
        if exc.status == 403:
            abort(403)
        if exc.status == 404:
            abort(404)
        flash(_("The decision was not taken: %(reason)s", reason=str(exc)), "error")
        return redirect(here)
    messages = {
        "approved": _("Approved and published: %(uid)s version %(version)d."),
        "returned": _("Returned to the sender: %(uid)s version %(version)d."),
        "rejected": _("Rejected: %(uid)s version %(version)d."),
    }
    flash(messages[result.state] % {"uid": uid, "version": version}, "success")
    with hub_of().sessions() as s:
        rev, _rec = review.get(s, g.actor, uid, version)
        following = review.next_pending(s, g.actor, rev.id)
    if following is None:
        return redirect(url_for("console.queue"))
    c, k, i = schemas.split_uid(following[0])
    return redirect(url_for("console.revision", country=c, kind=k, local_id=i, version=following[1]))
