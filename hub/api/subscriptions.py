"""Webhook subscriptions (SPEC 6): manage them, read their delivery log. Scope ``admin``.

A subscription belongs to the client that created it: another client gets 404 for it,
as for one that does not exist. The service is :mod:`hub.webhooks.subscriptions`; deliveries are
made by ``hub scheduler`` or the workers: each is ``POST url`` with ``{"changes": [...]}``,
``X-Hub-Timestamp`` and ``X-Hub-Signature-256: sha256=<hex HMAC of "<timestamp>." + body
with the secret>``, retried with exponential backoff, dead-lettered after the configured
number of attempts.
"""

from __future__ import annotations

from typing import Any

from flask import Response
from flask_smorest import Blueprint
from marshmallow import RAISE, Schema, fields, validate

import schemas as standard

from .. import hub_of
from ..shapes import Stamp, Subscription
from ..store.db import transaction
from ..web.errors import problem
from ..webhooks import subscriptions as webhooks
from .bodies import Query
from .common import actor, bad_request, page, position, protected

blp = Blueprint("subscriptions", __name__, url_prefix="/api/v1", description="Webhook subscriptions")
STATES = webhooks.STATES


class SubscriptionBody(Schema):
    class Meta:
        unknown = RAISE

    url = fields.Url(
        required=True,
        schemes={"http", "https"},
        require_tld=False,
        validate=validate.Length(max=2000),
        metadata={
            "description": "where changes are POSTed: https (http only where the hub allows it), "
            "no credentials, a host with public addresses only"
        },
    )
    kinds = fields.List(
        fields.String(validate=validate.OneOf(standard.KINDS)),
        load_default=list,
        metadata={"description": "only these kinds (default: all)"},
    )
    countries = fields.List(
        fields.String(validate=validate.Regexp(r"^[A-Z]{2}\Z")),
        load_default=list,
        metadata={"description": "only records of these countries (default: all)"},
    )
    secret = fields.String(
        validate=validate.Length(16, 256),
        metadata={"description": "shared secret of the HMAC signature; generated and returned once when absent"},
    )
    after = fields.String(
        validate=validate.Length(1, 100),
        metadata={"description": "a change-feed cursor to start after (default: the end of the feed: future changes)"},
    )


class SubscriptionChange(Schema):
    class Meta:
        unknown = RAISE

    url = fields.Url(
        schemes={"http", "https"},
        require_tld=False,
        validate=validate.Length(max=2000),
        metadata={"description": "a new destination, checked as at creation"},
    )
    kinds = fields.List(
        fields.String(validate=validate.OneOf(standard.KINDS)), metadata={"description": "new kinds filter ([]: all)"}
    )
    countries = fields.List(
        fields.String(validate=validate.Regexp(r"^[A-Z]{2}$")),
        metadata={"description": "new countries filter ([]: all)"},
    )
    secret = fields.String(
        validate=validate.Length(16, 256),
        metadata={"description": "a new shared secret: every later attempt is signed with it"},
    )


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
    """One delivery with its log (:class:`hub.webhooks.subscriptions.Delivery`)."""

    id = fields.Integer()
    subscription = fields.String(attribute="subscription_id")
    status = fields.String(validate=validate.OneOf(STATES))
    first_seq = fields.Integer()
    last_seq = fields.Integer()
    count = fields.Integer()
    attempts = fields.Integer(metadata={"description": "attempts since it was claimed or last replayed"})
    created_at = Stamp()
    replayed_at = Stamp(allow_none=True, metadata={"description": "when its dead letter was last replayed"})
    delivered_at = Stamp(allow_none=True)
    next_attempt_at = Stamp(allow_none=True)
    last_status_code = fields.Integer(allow_none=True)
    last_error = fields.String(allow_none=True)
    log = fields.List(fields.Nested(Attempt))


class DeliveryPage(Schema):
    items = fields.List(fields.Nested(Delivery))
    next_cursor = fields.String(allow_none=True)


def _missing(sub_id: str) -> Response:
    return problem(404, "Not Found", f"No subscription {sub_id}.")


def _owner() -> str:
    """The calling client's id: the owner of what it creates, the only one it sees."""
    return actor().id.removeprefix("client:")


@blp.route("/subscriptions", methods=["POST"])
@protected(blp, "admin", errors=(400, 422))
@blp.arguments(SubscriptionBody)
@blp.response(201, Subscription)
def create(body: dict[str, Any]) -> Response | tuple[webhooks.Overview, int, dict[str, str]]:
    """Subscribe a URL to published changes, optionally of some kinds and countries."""
    hub = hub_of()
    try:
        with transaction(hub.sessions) as session:
            sub, generated = webhooks.create(
                session,
                hub.settings,
                actor().id,
                body["url"],
                body["kinds"],
                body["countries"],
                body.get("secret"),
                body.get("after"),
                owner=_owner(),
            )
    except webhooks.SubscriptionError as exc:
        if exc.status == 400:
            return bad_request(str(exc))
        return problem(422, "Unprocessable Content", str(exc))
    created = webhooks.Overview(sub, dict.fromkeys(STATES, 0), generated)
    return created, 201, {"Location": f"/api/v1/subscriptions/{sub.id}"}


@blp.route("/subscriptions", methods=["GET"])
@protected(blp, "admin")
@blp.response(200, SubscriptionList)
def listing() -> dict[str, list[webhooks.Overview]]:
    """The caller's active subscriptions with their delivery counts."""
    with hub_of().sessions() as session:
        return {"items": [webhooks.overview(session, s) for s in webhooks.listing(session, _owner())]}


@blp.route("/subscriptions/<sub_id>", methods=["GET"])
@protected(blp, "admin")
@blp.response(200, Subscription)
def one(sub_id: str) -> Response | webhooks.Overview:
    """One subscription (also a removed one: `active` is false)."""
    with hub_of().sessions() as session:
        sub = webhooks.get(session, sub_id, _owner())
        if sub is None:
            return _missing(sub_id)
        return webhooks.overview(session, sub)


@blp.route("/subscriptions/<sub_id>", methods=["PATCH"])
@protected(blp, "admin", errors=(400, 422))
@blp.arguments(SubscriptionChange)
@blp.response(200, Subscription)
def change(body: dict[str, Any], sub_id: str) -> Response | webhooks.Overview:
    """Change a subscription's URL, filters or secret; its feed position stays (audited)."""
    hub = hub_of()
    try:
        with transaction(hub.sessions) as session:
            sub = webhooks.change(
                session,
                hub.settings,
                sub_id,
                actor().id,
                _owner(),
                url=body.get("url"),
                kinds=body.get("kinds"),
                countries=body.get("countries"),
                secret=body.get("secret"),
            )
            return webhooks.overview(session, sub)
    except LookupError:
        return _missing(sub_id)
    except webhooks.SubscriptionError as exc:
        return problem(422, "Unprocessable Content", str(exc))


@blp.route("/subscriptions/<sub_id>", methods=["DELETE"])
@protected(blp, "admin")
@blp.response(204, None, description="Removed: no more deliveries; the log stays readable")
def remove(sub_id: str) -> Response:
    """Stop a subscription."""
    with transaction(hub_of().sessions) as session:
        if not webhooks.remove(session, sub_id, actor().id, _owner()):
            return _missing(sub_id)
    return Response(status=204)


@blp.route("/subscriptions/<sub_id>/deliveries", methods=["GET"])
@protected(blp, "admin", errors=(400, 422))
@blp.arguments(DeliveryArgs, location="query", unknown=None)
@blp.response(200, DeliveryPage)
def deliveries(args: dict[str, Any], sub_id: str) -> Response | dict[str, Any]:
    """The delivery log, newest first: every attempt with the receiver's status or the error."""
    before = position(args)
    with hub_of().sessions() as session:
        if webhooks.get(session, sub_id, _owner()) is None:
            return _missing(sub_id)
        rows, nxt = webhooks.deliveries(session, sub_id, args.get("status"), args["limit"], before)
    return page(rows, nxt)
