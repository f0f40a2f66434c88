"""Sync runs and quarantine (scope ``admin``): what each source did, and what it could
not accept, with the raw payload and the reasons. Runs are started by ``hub sync run``
and ``hub scheduler``; see docs/sync.md."""

from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from .. import hub_of
from ..shapes import Quarantined, Run
from ..store import syncruns
from ..store.syncruns import RUN_STATES
from .bodies import Query
from .common import page, position, protected

blp = Blueprint("sync", __name__, url_prefix="/api/v1", description="Sync runs and quarantine")


class RunArgs(Query):
    source = fields.String(validate=validate.Length(1, 100))
    status = fields.String(validate=validate.OneOf(RUN_STATES))
    limit = fields.Integer(load_default=50, validate=validate.Range(1, 500))
    cursor = fields.String(validate=validate.Length(1, 100))


class RunPage(Schema):
    items = fields.List(fields.Nested(Run))
    next_cursor = fields.String(allow_none=True)


class QuarantineArgs(Query):
    source = fields.String(validate=validate.Length(1, 100))
    state = fields.String(load_default="open", validate=validate.OneOf(["open", "resolved", "all"]))
    limit = fields.Integer(load_default=50, validate=validate.Range(1, 500))
    cursor = fields.String(validate=validate.Length(1, 100))


class QuarantinePage(Schema):
    items = fields.List(fields.Nested(Quarantined))
    next_cursor = fields.String(allow_none=True)


@blp.route("/sync/runs", methods=["GET"])
@protected(blp, "admin", errors=(400, 422))
@blp.arguments(RunArgs, location="query", unknown=None)
@blp.response(200, RunPage)
def runs(args: dict[str, Any]) -> dict[str, Any]:
    """Sync runs, newest first, with their counts and the error of a failed run."""
    before = position(args)
    with hub_of().sessions() as session:
        rows, nxt = syncruns.runs(session, args.get("source"), args.get("status"), args["limit"], before)
    return page(rows, nxt)


@blp.route("/sync/quarantine", methods=["GET"])
@protected(blp, "admin", errors=(400, 422))
@blp.arguments(QuarantineArgs, location="query", unknown=None)
@blp.response(200, QuarantinePage)
def quarantine(args: dict[str, Any]) -> dict[str, Any]:
    """Records sync runs could not accept, newest first: open ones until a later run
    writes the record or a later full pass no longer has it."""
    before = position(args)
    with hub_of().sessions() as session:
        rows, nxt = syncruns.quarantine(session, args.get("source"), args["state"], args["limit"], before)
    return page(rows, nxt)
