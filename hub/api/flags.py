"""Flags over the API (SPEC section 5): a member queries another member's record; the
owner lists the flags on its records and resolves them. Both are audited."""

from __future__ import annotations

from typing import Any

from flask import Response
from flask_smorest import Blueprint
from marshmallow import RAISE, Schema, fields, validate

import schemas as standard
from schemas import codelists

from .. import hub_of
from ..curation import flags
from ..shapes import Flag
from ..store.db import transaction
from ..web import KIND_RULE
from ..web.errors import problem
from .bodies import Query
from .common import actor, page, position, protected

blp = Blueprint("flags", __name__, url_prefix="/api/v1", description="Flags on records")


class FlagBody(Schema):
    class Meta:
        unknown = RAISE

    reason = fields.String(
        required=True,
        validate=validate.OneOf(sorted(codelists.codes("flag-reasons"))),
        metadata={"description": "codelist flag-reasons"},
    )
    comment = fields.String(allow_none=True, validate=validate.Length(0, flags.MAX_COMMENT))


class ResolveBody(Schema):
    class Meta:
        unknown = RAISE

    comment = fields.String(
        allow_none=True, validate=validate.Length(0, flags.MAX_COMMENT), metadata={"description": "the owner's answer"}
    )


class FlagArgs(Query):
    state = fields.String(load_default="open", validate=validate.OneOf([*flags.STATES, "all"]))
    box = fields.String(
        load_default="received",
        validate=validate.OneOf(["received", "raised"]),
        metadata={"description": "received: flags on own records; raised: flags own country raised"},
    )
    kind = fields.String(validate=validate.OneOf(standard.KINDS))
    limit = fields.Integer(load_default=100, validate=validate.Range(1, 1000))
    cursor = fields.String(validate=validate.Length(1, 100))


class FlagPage(Schema):
    items = fields.List(fields.Nested(Flag))
    next_cursor = fields.String(allow_none=True)


def refused(exc: flags.FlagError) -> Response:
    titles = {403: "Forbidden", 404: "Not Found", 409: "Conflict", 422: "Unprocessable Content"}
    return problem(exc.status, titles.get(exc.status, "Error"), str(exc))


@blp.route(f"/{KIND_RULE}/<country>/<local_id>/flags", methods=["POST"])
@protected(blp, "review", errors=(400, 404, 422))
@blp.arguments(FlagBody)
@blp.response(201, Flag)
def raise_flag(body: dict[str, Any], kind: str, country: str, local_id: str) -> Response | flags.Flag:
    """Query a record (any member's published record, or one's own): the owner sees the
    flag in `GET /api/v1/flags` and resolves it."""
    try:
        with transaction(hub_of().sessions) as session:
            flag = flags.raise_flag(
                session, actor(), standard.uid(country, kind, local_id), body["reason"], body.get("comment")
            )
    except flags.FlagError as exc:
        return refused(exc)
    return flag


@blp.route("/flags", methods=["GET"])
@protected(blp, "review", errors=(400, 422))
@blp.arguments(FlagArgs, location="query", unknown=None)
@blp.response(200, FlagPage)
def listing(args: dict[str, Any]) -> dict[str, Any]:
    """Flags on the caller's country's records (`box=received`, default) or raised by it
    (`box=raised`), oldest first."""
    after = position(args, start=0) or 0
    query = flags.FlagQuery(
        state=None if args["state"] == "all" else args["state"], box=args["box"], kind=args.get("kind")
    )
    limit = args["limit"]
    with hub_of().sessions() as session:
        rows = flags.listing(session, actor(), query, limit=limit + 1, after=after)
    nxt = rows[limit - 1].id if len(rows) > limit else None
    return page(rows[:limit], nxt)


@blp.route("/flags/<int(max=2147483647):flag_id>/resolve", methods=["POST"])
@protected(blp, "review", errors=(400, 404, 409, 422))
@blp.arguments(ResolveBody)
@blp.response(200, Flag)
def resolve(body: dict[str, Any], flag_id: int) -> Response | flags.Flag:
    """Resolve an open flag on one of the caller's country's records, with an answer."""
    try:
        with transaction(hub_of().sessions) as session:
            flag = flags.resolve(session, actor(), flag_id, body.get("comment"))
    except flags.FlagError as exc:
        return refused(exc)
    return flag
