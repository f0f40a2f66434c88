"""``Idempotency-Key`` for batch writes: the same key and body get the stored answer
for 24 hours; the same key with another body is refused (422).

The answer is stored in the write's own transaction, so a crash cannot leave a
committed batch without its stored answer (or the other way round).

Two requests with the same key at once: the first *claims* the key (a row with status
0, committed before the write starts); the second finds the claim and is answered
``409 Conflict`` with ``Retry-After`` at once, rather than holding a server thread
while the first runs. Retried after the first finishes, it gets the stored answer. A
claim names its process (``host:pid``): it is released when its write fails, taken over
at once when that process on this machine has ended (a worker killed mid-write), and
after :data:`CLAIM_STALE` when it cannot be checked (another machine).
"""

from __future__ import annotations

from datetime import timedelta

import orjson
import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import Response

from .. import processes
from ..records.writepath import BatchOutcome
from ..services import Hub
from ..store.db import transaction
from ..store.models import IdempotencyKey, utcnow
from ..web.errors import problem
from .admission import retry_after

TTL = timedelta(hours=24)
CLAIM_STALE = timedelta(minutes=10)  # far beyond the slowest batch
IN_FLIGHT = 0  # the status of a claim


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
    if row.status == IN_FLIGHT:
        if _abandoned(row):
            return None
        return retry_after(
            problem(
                409,
                "Conflict",
                "A request with this Idempotency-Key is in progress; "
                "retry after Retry-After seconds to get its answer.",
            )
        )
    return Response(
        orjson.dumps(row.response),
        status=row.status,
        mimetype="application/json",
        headers={"Idempotent-Replayed": "true"},
    )


def _age(row: IdempotencyKey) -> timedelta:
    created = row.created_at if row.created_at.tzinfo else row.created_at.replace(tzinfo=utcnow().tzinfo)
    return utcnow() - created


def _expired(row: IdempotencyKey) -> bool:
    return _age(row) > TTL


def _abandoned(row: IdempotencyKey) -> bool:
    """A claim whose request can no longer finish: its process ended, or too old."""
    return _age(row) > CLAIM_STALE or processes.gone(str(row.response.get("holder", "")))


def claim(hub: Hub, actor_id: str, key: str, body_hash: str) -> Response | None:
    """Claim the key for this request (None), or the answer for a request that lost the
    race to another one (its 409, stored answer or 422). Call after :func:`lookup`."""
    try:
        with transaction(hub.sessions) as session:
            # an expired answer or an abandoned claim goes first (lookup found no live one;
            # compare-and-delete, so of two requests taking it over only one succeeds)
            row = session.get(IdempotencyKey, (actor_id, key))
            if row is not None:
                session.expunge(row)
            if row is not None and (_expired(row) or (row.status == IN_FLIGHT and _abandoned(row))):
                session.execute(
                    sa.delete(IdempotencyKey).where(
                        IdempotencyKey.actor == actor_id,
                        IdempotencyKey.key == key,
                        IdempotencyKey.created_at == row.created_at,
                    )
                )
            session.add(
                IdempotencyKey(
                    actor=actor_id,
                    key=key,
                    body_hash=body_hash,
                    status=IN_FLIGHT,
                    response={"holder": processes.new_holder()},
                    created_at=utcnow(),
                )
            )
    except sa.exc.IntegrityError:  # claimed (or answered) by a request running beside this one
        return lookup(hub, actor_id, key, body_hash) or claim(hub, actor_id, key, body_hash)
    return None


def release(hub: Hub, actor_id: str, key: str) -> None:
    """Drop this request's claim after its write failed (a stored answer stays)."""
    with transaction(hub.sessions) as session:
        session.execute(
            sa.delete(IdempotencyKey).where(
                IdempotencyKey.actor == actor_id, IdempotencyKey.key == key, IdempotencyKey.status == IN_FLIGHT
            )
        )


def save(session: so.Session, actor_id: str, key: str, body_hash: str, outcome: BatchOutcome) -> None:
    """Store the answer inside the batch's own write transaction (replacing the
    request's claim)."""
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
