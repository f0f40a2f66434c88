"""``Idempotency-Key`` for batch writes: the same key and body get the stored answer
for 24 hours; the same key with another body is refused (422).

The answer is stored in the write's own transaction, so a crash cannot leave a
committed batch without its stored answer (or the other way round).
"""

from __future__ import annotations

from datetime import timedelta

import orjson
import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import Response

from ..records.writepath import BatchOutcome
from ..services import Hub
from ..store.models import IdempotencyKey, utcnow
from ..web.errors import problem

TTL = timedelta(hours=24)


def lookup(hub: Hub, actor_id: str, key: str, body_hash: str) -> Response | None:
    """The stored answer, a 422 for a reused key, or None when the key is new."""
    with hub.sessions() as session:
        row = session.get(IdempotencyKey, (actor_id, key))
    if row is None or _expired(row):
        return None
    if row.body_hash != body_hash:
        return problem(
            422, "Unprocessable Content", "This Idempotency-Key was used with a different body within 24 hours."
        )
    return Response(
        orjson.dumps(row.response),
        status=row.status,
        mimetype="application/json",
        headers={"Idempotent-Replayed": "true"},
    )


def _expired(row: IdempotencyKey) -> bool:
    created = row.created_at if row.created_at.tzinfo else row.created_at.replace(tzinfo=utcnow().tzinfo)
    return utcnow() - created > TTL


def save(session: so.Session, actor_id: str, key: str, body_hash: str, outcome: BatchOutcome) -> None:
    """Store the answer inside the batch's own write transaction."""
    now = utcnow()
    session.execute(
        sa.delete(IdempotencyKey).where(
            sa.or_(
                IdempotencyKey.created_at < now - TTL,
                sa.and_(IdempotencyKey.actor == actor_id, IdempotencyKey.key == key),
            )
        )
    )
    session.add(
        IdempotencyKey(
            actor=actor_id,
            key=key,
            body_hash=body_hash,
            status=200 if outcome.ok else 207,
            response=outcome.as_dict(),
            created_at=now,
        )
    )
