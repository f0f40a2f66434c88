"""Shapes of what the hub shows, as marshmallow schemas: the one definition that the API
serialises and documents (``@blp.response``) and the CLI's ``--json`` prints.

Each dumps the stored object as it is (a :class:`hub.store.syncruns.SyncRun`, ...), so a field
added to a shape is added everywhere it is shown.
"""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields, post_dump

from .curation.flags import STATES as FLAG_STATES
from .records import cursors
from .records.representation import rfc3339
from .store.syncruns import COUNTS, RUN_STATES


class Stamp(fields.String):
    """A stored UTC time as RFC 3339 (``2026-01-31T12:00:00Z``)."""

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kw: Any) -> str | None:
        return rfc3339(value)


class Finding(Schema):
    """A problem or a warning: where (a JSON path), what (a code), and a message."""

    path = fields.String()
    code = fields.String()
    message = fields.String()


class Run(Schema):
    """One sync run (:class:`hub.store.syncruns.SyncRun`)."""

    id = fields.Integer()
    source = fields.String()
    trigger = fields.String(metadata={"description": "cli, scheduler, celery or celery-beat"})
    dry_run = fields.Boolean()
    status = fields.String(metadata={"enum": list(RUN_STATES)})
    started_at = Stamp()
    finished_at = Stamp(allow_none=True)
    counts = fields.Method(
        "_counts",
        metadata={"type": "object", "additionalProperties": {"type": "integer"}, "description": ", ".join(COUNTS)},
    )
    retries = fields.Integer()
    error = fields.String(allow_none=True)
    report = fields.Function(
        lambda run: run.report or {},
        metadata={"type": "object", "description": "notes, warnings by code, the delete report"},
    )

    def _counts(self, run: Any) -> dict[str, int]:
        return {k: getattr(run, k) for k in COUNTS}


class Quarantined(Schema):
    """A record a run could not accept (:class:`hub.store.syncruns.Quarantine`)."""

    id = fields.Integer()
    source = fields.String()
    run = fields.Integer(attribute="run_id")
    locator = fields.String(metadata={"description": "where in the source: line, page and item, change"})
    uid = fields.String(allow_none=True)
    status = fields.String(metadata={"description": "mapping, invalid, forbidden or duplicate"})
    errors = fields.List(fields.Nested(Finding))
    payload = fields.Raw(metadata={"description": "the record as the source delivered it"})
    created_at = Stamp()
    resolved_at = Stamp(allow_none=True)
    resolution = fields.String(allow_none=True, metadata={"description": "written, or superseded by a later pass"})


class Flag(Schema):
    """A query on a record (:class:`hub.curation.flags.Flag`), and its answer once resolved."""

    id = fields.Integer()
    uid = fields.String()
    kind = fields.String()
    country = fields.String()
    reason = fields.String()
    comment = fields.String(allow_none=True)
    raised_by = fields.String()
    raised_country = fields.String(allow_none=True)
    raised_at = Stamp()
    state = fields.String(metadata={"enum": list(FLAG_STATES)})
    resolved_at = Stamp(allow_none=True)
    resolved_by = fields.String(allow_none=True)
    resolution = fields.String(allow_none=True)


class DeliveryCounts(Schema):
    pending = fields.Integer()
    delivered = fields.Integer()
    dead = fields.Integer()


class Subscription(Schema):
    """A webhook subscription (:class:`hub.webhooks.subscriptions.Overview`: the stored
    subscription, its delivery counts, and a generated secret once)."""

    id = fields.String(attribute="subscription.id")
    url = fields.String(attribute="subscription.url")
    kinds = fields.List(fields.String(), attribute="subscription.kinds")
    countries = fields.List(fields.String(), attribute="subscription.countries")
    active = fields.Boolean(attribute="subscription.active")
    created_at = Stamp(attribute="subscription.created_at")
    created_by = fields.String(attribute="subscription.created_by")
    owner = fields.String(
        attribute="subscription.owner", allow_none=True, metadata={"description": "the client that owns it"}
    )
    cursor = fields.Function(
        lambda o: cursors.encode(o.subscription.cursor),
        metadata={
            "type": "string",
            "description": "change-feed position: changes after it are not yet delivered",
        },
    )
    deliveries = fields.Nested(DeliveryCounts)
    secret = fields.String(metadata={"description": "only in the answer to a creation without a secret"})

    @post_dump
    def _secret_once(self, data: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        """No ``secret`` member at all unless the hub generated one just now."""
        if data.get("secret") is None:
            data.pop("secret", None)
        return data
