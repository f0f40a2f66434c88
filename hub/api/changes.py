"""``GET /api/v1/changes``: the change feed, every published change once, in order."""
from __future__ import annotations

from typing import Any

from flask import Response
from flask_smorest import Blueprint

from .. import cursors, reads
from .common import bad_request, protected, services
from .schemas import ChangesArgs, ChangesPage

blp = Blueprint("changes", __name__, url_prefix="/api/v1", description="The change feed")


@blp.route("/changes", methods=["GET"])
@protected(blp, "exchange:read", errors=(400, 422))
@blp.arguments(ChangesArgs, location="query", unknown=None)
@blp.response(200, ChangesPage)
def feed(args: dict[str, Any]) -> Response:
    """Changes after a cursor. Resume from `next_cursor`; cursors never expire, and a
    reader that follows them gets every published change exactly once, in order."""
    try:
        after = cursors.decode(args["after"], int) if "after" in args else 0
    except cursors.BadCursor as exc:
        return bad_request(str(exc))
    with services().sessions() as session:
        page = reads.changes(session, after, args["limit"], args.get("kind"), args.get("country"))
    return Response(page.json(cursors.encode(page.last)), mimetype="application/json")
