"""Webhook subscriptions (SPEC 6): manage them, read their delivery log. Scope ``admin``.

Deliveries themselves are made by ``hub scheduler`` (:mod:`hub.sync.webhooks`): each is
``POST url`` with ``{"changes": [...]}`` and ``X-Hub-Signature-256: sha256=<hex HMAC of
the body with the secret>``, retried with exponential backoff, dead-lettered after the
configured number of attempts.
"""
from __future__ import annotations

from typing import Any

from flask import Response
from flask_smorest import Blueprint
from marshmallow import RAISE, Schema, fields, validate

import schemas as standard

from .. import cursors
from ..db import transaction
from ..sync import webhooks
from ..web.errors import problem
from .common import actor, bad_request, json_response, protected, services
from .schemas import Query

blp = Blueprint("subscriptions", __name__, url_prefix="/api/v1", description="Webhook subscriptions")
STATES = ("pending", "delivered", "dead")


class SubscriptionBody(Schema):
    class Meta:
        unknown = RAISE

    url = fields.Url(required=True, schemes={"http", "https"}, require_tld=False,
                     validate=validate.Length(max=2000), metadata={"description": "where changes are POSTed"})
    kinds = fields.List(fields.String(validate=validate.OneOf(standard.KINDS)), load_default=list,
                        metadata={"description": "only these kinds (default: all)"})
    countries = fields.List(fields.String(validate=validate.Regexp(r"^[A-Z]{2}\Z")), load_default=list,
                            metadata={"description": "only records of these countries (default: all)"})
    secret = fields.String(validate=validate.Length(16, 256), metadata={
        "description": "shared secret of the HMAC signature; generated and returned once when absent"})
    after = fields.String(validate=validate.Length(1, 100), metadata={
        "description": "a change-feed cursor to start after (default: the end of the feed: future changes)"})


class DeliveryCounts(Schema):
    pending = fields.Integer()
    delivered = fields.Integer()
    dead = fields.Integer()


class Subscription(Schema):
    id = fields.String()
    url = fields.String()
    kinds = fields.List(fields.String())
    countries = fields.List(fields.String())
    active = fields.Boolean()
    created_at = fields.String()
    created_by = fields.String()
    cursor = fields.String(metadata={"description": "change-feed position: changes after it are not yet delivered"})
    deliveries = fields.Nested(DeliveryCounts)
    secret = fields.String(metadata={"description": "only in the answer to a creation without a secret"})


class SubscriptionList(Schema):
    items = fields.List(fields.Nested(Subscription))


class DeliveryArgs(Query):
    status = fields.String(validate=validate.OneOf(STATES))
    limit = fields.Integer(load_default=50, validate=validate.Range(1, 500))
    cursor = fields.String(validate=validate.Length(1, 100))


class Attempt(Schema):
    attempt = fields.Integer()
    at = fields.String()
    status = fields.Integer(allow_none=True, metadata={"description": "the receiver's HTTP status"})
    error = fields.String(allow_none=True)
    ms = fields.Integer()


class Delivery(Schema):
    id = fields.Integer()
    subscription = fields.String()
    status = fields.String(validate=validate.OneOf(STATES))
    first_seq = fields.Integer()
    last_seq = fields.Integer()
    count = fields.Integer()
    attempts = fields.Integer()
    created_at = fields.String()
    delivered_at = fields.String(allow_none=True)
    next_attempt_at = fields.String(allow_none=True)
    last_status_code = fields.Integer(allow_none=True)
    last_error = fields.String(allow_none=True)
    log = fields.List(fields.Nested(Attempt))


class DeliveryPage(Schema):
    items = fields.List(fields.Nested(Delivery))
    next_cursor = fields.String(allow_none=True)


def _missing(sub_id: str) -> Response:
    return problem(404, "Not Found", f"No subscription {sub_id}.")


@blp.route("/subscriptions", methods=["POST"])
@protected(blp, "admin", errors=(400, 422))
@blp.arguments(SubscriptionBody)
@blp.response(201, Subscription)
def create(body: dict[str, Any]) -> Response:
    """Subscribe a URL to published changes, optionally of some kinds and countries."""
    hub = services()
    try:
        with transaction(hub.sessions) as session:
            sub, generated = webhooks.create(session, hub.settings.secret_key, actor().id, body["url"],
                                             body["kinds"], body["countries"], body.get("secret"),
                                             body.get("after"))
            out = webhooks.as_dict(sub, {s: 0 for s in STATES})
    except webhooks.SubscriptionError as exc:
        if exc.status == 400:
            return bad_request(str(exc))
        return problem(422, "Unprocessable Content", str(exc))
    if generated:
        out["secret"] = generated
    return json_response(out, 201, {"Location": f"/api/v1/subscriptions/{out['id']}"})


@blp.route("/subscriptions", methods=["GET"])
@protected(blp, "admin")
@blp.response(200, SubscriptionList)
def listing() -> Response:
    """Active subscriptions with their delivery counts."""
    with services().sessions() as session:
        items = [webhooks.as_dict(s, webhooks.counts(session, s.id)) for s in webhooks.listing(session)]
    return json_response({"items": items})


@blp.route("/subscriptions/<sub_id>", methods=["GET"])
@protected(blp, "admin")
@blp.response(200, Subscription)
def one(sub_id: str) -> Response:
    """One subscription (also a removed one: `active` is false)."""
    with services().sessions() as session:
        sub = webhooks.get(session, sub_id)
        if sub is None:
            return _missing(sub_id)
        return json_response(webhooks.as_dict(sub, webhooks.counts(session, sub.id)))


@blp.route("/subscriptions/<sub_id>", methods=["DELETE"])
@protected(blp, "admin")
@blp.response(204, None, description="Removed: no more deliveries; the log stays readable")
def remove(sub_id: str) -> Response:
    """Stop a subscription."""
    with transaction(services().sessions) as session:
        if not webhooks.remove(session, sub_id):
            return _missing(sub_id)
    return Response(status=204)


@blp.route("/subscriptions/<sub_id>/deliveries", methods=["GET"])
@protected(blp, "admin", errors=(400, 422))
@blp.arguments(DeliveryArgs, location="query", unknown=None)
@blp.response(200, DeliveryPage)
def deliveries(args: dict[str, Any], sub_id: str) -> Response:
    """The delivery log, newest first: every attempt with the receiver's status or the error."""
    try:
        before = cursors.decode(args["cursor"], int) if "cursor" in args else None
    except cursors.BadCursor as exc:
        return bad_request(str(exc))
    with services().sessions() as session:
        if webhooks.get(session, sub_id) is None:
            return _missing(sub_id)
        rows, nxt = webhooks.deliveries(session, sub_id, args.get("status"), args["limit"], before)
        items = [webhooks.delivery_dict(d) for d in rows]
    return json_response({"items": items, "next_cursor": cursors.encode(nxt) if nxt else None})
