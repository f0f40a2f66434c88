"""Review by submission in the console: a submission's records filtered, one decision for
the filtered set after a confirmation that says what it touches, its progress."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

import schemas

from .. import hub_of
from ..curation import review, submissions
from .web import bp, requires

SHOWN = 200  # rows listed on the page; the decision covers the whole filtered set
FILTERS = ("kind", "country", "category", "rating_min", "area", "warning", "change", "q")
ACTIONS = {"approve_all": "approve", "approve_except": "approve", "return_all": "return"}


def _selection(submission: int, args: Any) -> submissions.Selection:
    rating = args.get("rating_min") or ""
    kind = args.get("kind") or None
    change = args.get("change") or None
    return submissions.Selection(
        submission,
        kind=kind if kind in schemas.KINDS else None,
        country=(args.get("country") or "").upper()[:2] or None,
        category=(args.get("category") or "").strip()[:60] or None,
        rating_min=int(rating) if rating in list("12345") else None,
        area=(args.get("area") or "").strip()[:20] or None,
        warning=(args.get("warning") or "").strip()[:40] or None,
        change=change if change in ("new", "changed") else None,
        q=(args.get("q") or "").strip()[:200] or None,
    )


def _filters(args: Any) -> dict[str, str]:
    return {k: args[k] for k in FILTERS if args.get(k)}


def _back(submission_id: int) -> str:
    """The submission's page with the filters of the form just posted."""
    query = urlencode(_filters(request.form))
    return url_for("console.submission", submission_id=submission_id) + (f"?{query}" if query else "")


def _ticked(form: Any) -> list[tuple[str, int]]:
    out = []
    for value in form.getlist("item"):
        uid, _sep, version = value.rpartition("@")
        if uid and version.isdigit():
            out.append((uid, int(version)))
    return out


def _load(submission_id: int, args: Any, documents: bool = True) -> tuple[Any, list[submissions.Item]]:
    """The submission and its filtered set; ``documents=False`` when only the keys count."""
    with hub_of().sessions() as s:
        sub = submissions.get(s, submission_id)
        if sub is None:
            abort(404)
        try:
            items = submissions.select(s, g.actor, _selection(submission_id, args), documents=documents)
        except review.ReviewError as exc:
            abort(exc.status if exc.status in (403, 404) else 400)
        s.expunge_all()
    return sub, items


@bp.get("/submissions/<int:submission_id>")
@requires("review")
def submission(submission_id: int) -> str:
    sub, items = _load(submission_id, request.args)
    return render_template(
        "console/reviews/submission.html",
        sub=sub,
        items=items[:SHOWN],
        total=len(items),
        records=len({i.rev.uid for i in items}),
        codes=submissions.warning_codes(items),
        filters=_filters(request.args),
        args=request.args,
    )


def _plan(submission_id: int) -> tuple[Any, str, str, list[tuple[str, int]]]:
    action = request.form.get("action", "")
    if action not in ACTIONS:
        abort(400)
    sub, items = _load(submission_id, request.form, documents=False)
    ticked = _ticked(request.form) if action == "approve_except" else []
    return sub, action, ACTIONS[action], submissions.plan(items, ticked)


@bp.post("/submissions/<int:submission_id>/confirm")
@requires("review")
def confirm_set(submission_id: int) -> Any:
    """What the decision will touch, before it is taken."""
    sub, action, decision, keys = _plan(submission_id)
    back = _back(submission_id)
    if not keys:
        flash(_("No pending record matches: nothing to decide."), "warning")
        return redirect(back)
    if decision == "return" and not request.form.get("reason"):
        flash(_("Choose a reason to return the records."), "error")
        return redirect(back)
    return render_template(
        "console/reviews/confirm.html",
        sub=sub,
        action=action,
        decision=decision,
        records=len({uid for uid, _v in keys}),
        versions=len(keys),
        back=back,
        filters=_filters(request.form),
        ticked=request.form.getlist("item"),
        reason=request.form.get("reason") or "",
        comment=request.form.get("comment") or "",
    )


@bp.post("/submissions/<int:submission_id>/decide")
@requires("review")
def decide_set(submission_id: int) -> Response:
    sub, action, decision, keys = _plan(submission_id)
    back = _back(submission_id)
    if str(len(keys)) != request.form.get("expected"):
        flash(
            _("The set changed since you confirmed (new or decided revisions): check it and decide again."), "warning"
        )
        return redirect(back)
    try:
        job_id = submissions.start(
            hub_of().sessions,
            g.actor,
            submission_id,
            keys,
            decision,
            request.form.get("reason") or None,
            request.form.get("comment") or None,
        )
    except review.ReviewError as exc:
        flash(_("The decision was not taken: %(reason)s", reason=str(exc)), "error")
        return redirect(back)
    return redirect(url_for("console.review_job", job_id=job_id))


@bp.get("/review-jobs/<int:job_id>")
@requires("review")
def review_job(job_id: int) -> str:
    with hub_of().sessions() as s:
        job = submissions.job(s, g.actor, job_id)
        if job is None:
            abort(404)
        s.expunge(job)
    return render_template("console/reviews/job.html", job=job)
