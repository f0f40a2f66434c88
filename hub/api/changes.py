"""``GET /api/v1/changes``: the change feed, every published change once, in order."""

from __future__ import annotations

from typing import Any

import orjson
from flask import Response
from flask_smorest import Blueprint
from marshmallow import fields, validate

from .. import hub_of
from ..curation import review
from ..records import cursors, reads
from .bodies import ChangesArgs, ChangesPage
from .common import actor, position, protected
from .reviews import ReviewItem

blp = Blueprint("changes", __name__, url_prefix="/api/v1", description="The change feed")


# -- include=own (review, SPEC 5; owned by the review module) ---------------------------
class FeedArgs(ChangesArgs):
    include = fields.String(
        validate=validate.OneOf(["own"]),
        metadata={
            "description": "own: add `own`, the caller's country's revisions that are pending, "
            "returned or rejected (with reasons); see GET /api/v1/reviews"
        },
    )


class FeedPage(ChangesPage):
    own = fields.List(fields.Nested(ReviewItem), metadata={"description": "with include=own only"})


def _with_own(body: bytes, limit: int) -> bytes:
    with hub_of().sessions() as session:
        own = review.own_outstanding(session, actor(), limit)
    return body[:-1] + b',"own":' + orjson.dumps(ReviewItem(many=True).dump(own)) + b"}"


# ---------------------------------------------------------------------------------------


@blp.route("/changes", methods=["GET"])
@protected(blp, "exchange:read", errors=(400, 422))
@blp.arguments(FeedArgs, location="query", unknown=None)
@blp.response(200, FeedPage)
def feed(args: dict[str, Any]) -> Response:
    """Changes after a cursor. Resume from `next_cursor`; cursors never expire, and a
    reader that follows them gets every published change exactly once, in order."""
    after = position(args, "after", 0) or 0
    with hub_of().sessions() as session:
        page = reads.changes(session, after, args["limit"], args.get("kind"), args.get("country"))
    body = page.json(cursors.encode(page.last))
    if args.get("include") == "own":
        body = _with_own(body, args["limit"])
    return Response(body, mimetype="application/json")
