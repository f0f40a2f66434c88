"""Review over the API (SPEC section 5): the queue of revisions and the decision.

``GET /api/v1/reviews`` lists revisions of the caller's country (every country for a
caller without one): scope ``review`` to decide on them, scope ``exchange:write`` to
see what happened to one's own submissions, with the reasons of returned and rejected
revisions. ``POST /api/v1/reviews/{country}/{kind}/{id}/{version}`` decides.
"""

from __future__ import annotations

from typing import Any

from flask import Response
from flask_smorest import Blueprint
from marshmallow import RAISE, Schema, fields, validate

import schemas as standard

from .. import hub_of
from ..curation import review
from ..records import representation
from ..shapes import Finding, Stamp
from ..web import KIND_RULE
from ..web.errors import problem
from .bodies import Query, Record, Shown
from .common import actor, page, position, protected

blp = Blueprint("reviews", __name__, url_prefix="/api/v1", description="Review of revisions")


class ReviewArgs(Query):
    state = fields.String(load_default="pending", validate=validate.OneOf(review.STATES))
    kind = fields.String(validate=validate.OneOf(standard.KINDS))
    country = fields.String(
        validate=validate.Length(equal=2), metadata={"description": "callers without a country (secretariat) only"}
    )
    mine = fields.Boolean(load_default=False, metadata={"description": "only revisions this client submitted"})
    limit = fields.Integer(load_default=100, validate=validate.Range(1, 1000))
    cursor = fields.String(validate=validate.Length(1, 100))


class Reason(Schema):
    """Why a revision was returned or rejected (:class:`hub.curation.review.Reason`)."""

    code = fields.String(allow_none=True, metadata={"description": "codelist return-reasons"})
    label = fields.String(allow_none=True)
    comment = fields.String(allow_none=True, metadata={"description": "the reviewer's hint"})


class ReviewItem(Schema):
    """A revision in the queue: state, who, when, why, the record; dumps a
    :class:`hub.curation.review.Queued` (a revision with its record)."""

    uid = fields.String(attribute="revision.uid")
    kind = fields.String()
    country = fields.String(attribute="record.country")
    id = fields.String(attribute="record.local_id")
    version = fields.Integer(attribute="revision.version")
    state = fields.String(attribute="revision.review_state", validate=validate.OneOf(review.STATES))
    submitted_at = Stamp(attribute="revision.created_at")
    submitted_by = fields.String(attribute="revision.actor")
    source = fields.String(attribute="revision.source")
    decided_at = Stamp(attribute="revision.decided_at", allow_none=True)
    decided_by = fields.String(attribute="revision.decided_by", allow_none=True)
    reason = fields.Nested(Reason, allow_none=True)
    warnings = fields.List(fields.Nested(Finding))
    published_version = fields.Integer(attribute="record.published_version", allow_none=True)
    latest_version = fields.Integer(attribute="record.latest_version")
    superseded = fields.Boolean(metadata={"description": "a later version of the record exists"})
    record = Shown(Record, lambda q: representation.revision(q.revision, q.kind))


class ReviewPage(Schema):
    items = fields.List(fields.Nested(ReviewItem))
    next_cursor = fields.String(allow_none=True)


class DecisionBody(Schema):
    class Meta:
        unknown = RAISE

    decision = fields.String(required=True, validate=validate.OneOf(list(review.DECISIONS)))
    reason = fields.String(
        allow_none=True,
        validate=validate.Length(1, 40),
        metadata={"description": "code of codelist return-reasons; required to return"},
    )
    comment = fields.String(
        allow_none=True,
        validate=validate.Length(0, review.MAX_COMMENT),
        metadata={"description": "hint for the submitter"},
    )


class DecisionResult(Schema):
    """What a decision did (:class:`hub.curation.review.Decision`)."""

    uid = fields.String()
    version = fields.Integer()
    state = fields.String()
    published = fields.Boolean()


def refused(exc: review.ReviewError) -> Response:
    titles = {403: "Forbidden", 404: "Not Found", 409: "Conflict", 422: "Unprocessable Content"}
    extra = {"code": exc.code} if exc.code else {}
    return problem(exc.status, titles.get(exc.status, "Error"), str(exc), **extra)


@blp.route("/reviews", methods=["GET"])
@protected(blp, "exchange:read", errors=(400, 422))
@blp.arguments(ReviewArgs, location="query", unknown=None)
@blp.response(200, ReviewPage)
def listing(args: dict[str, Any]) -> Response | dict[str, Any]:
    """Revisions by review state, oldest first. Needs scope `review` (to decide) or
    `exchange:write` (to follow one's own submissions) besides `exchange:read`; a caller
    sees its own country's revisions, the reasons of returned and rejected ones included."""
    after = position(args, start=0) or 0
    query = review.Query(state=args["state"], kind=args.get("kind"), country=args.get("country"), mine=args["mine"])
    try:
        with hub_of().sessions() as session:
            rows, nxt = review.queue(session, actor(), query, limit=args["limit"], after=after)
    except review.ReviewError as exc:
        return refused(exc)
    return page(rows, nxt)


@blp.route(f"/reviews/<country>/{KIND_RULE}/<local_id>/<int(max=2147483647):version>", methods=["POST"])
@protected(blp, "review", country_param="country", errors=(400, 404, 409, 422))
@blp.arguments(DecisionBody)
@blp.response(200, DecisionResult)
def decide(body: dict[str, Any], country: str, kind: str, local_id: str, version: int) -> Response | review.Decision:
    """Approve, reject or return a pending revision of the caller's country. Returning
    needs a `reason` (codelist `return-reasons`); `comment` is a hint for the submitter.
    Approval publishes the revision (lists, exports, the change feed)."""
    uid = standard.uid(country, kind, local_id)
    try:
        return review.decide(
            hub_of().sessions, actor(), uid, version, body["decision"], body.get("reason"), body.get("comment")
        )
    except review.ReviewError as exc:
        return refused(exc)
