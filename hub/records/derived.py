"""Derived values that change with the calendar: a daily refresh (standard 1.1).

Readers always get ``band`` and ``active`` computed as of the moment of reading
(:func:`schemas.enrich`). Two things were fixed at publication, though: the list
columns (``rating_band``, behind ``rating_min`` and the statistics) and the snapshot in
the change feed, so followers never learnt that a certificate had expired.
:func:`refresh` compares, for every published record with certifications, what the
feed last said (each certificate's ``active`` and ``band``) with what is true today;
where it differs, the same version is published again (a new ``upsert`` in the feed,
same ``version`` and ``content_hash``, new ``hub_updated_at``), which also refreshes the
columns. Run daily by ``hub refresh`` (cron, or the jobs' scheduler); a missed day is
caught up, since the comparison is with the last snapshot, not with yesterday.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import orjson
import sqlalchemy as sa
import sqlalchemy.orm as so

import schemas

from ..actors import Actor
from ..store.models import Change, Record, Revision
from .writepath import WritePath

ACTOR = Actor("system:refresh")
SOURCE = "refresh"
BATCH = 500


def _state(doc: dict[str, Any]) -> list[tuple[Any, Any]]:
    return [(c.get("active"), c.get("band")) for c in doc.get("certifications") or ()]


def stale(sessions: so.sessionmaker[so.Session], today: date) -> list[tuple[str, int, dict[str, Any], str, list[Any]]]:
    """``(uid, version, document, hash, warnings)`` of published records whose last feed
    snapshot no longer tells today's ``active``/``band``."""
    last = (
        sa.select(Change.uid, sa.func.max(Change.seq).label("seq"))
        .where(Change.kind == "products")
        .group_by(Change.uid)
        .subquery()
    )
    query = (
        sa.select(
            Record.uid,
            Record.published_version,
            Record.published_hash,
            Record.warnings,
            Revision.document,
            Change.record,
        )
        .join(Revision, sa.and_(Revision.uid == Record.uid, Revision.version == Record.published_version))
        .join(last, last.c.uid == Record.uid)
        .join(Change, Change.seq == last.c.seq)
        .where(Record.kind == "products", Record.deleted.is_(False), Record.published_version.is_not(None))
    )
    out = []
    with sessions() as session:
        for uid, version, digest, warnings, doc, snapshot in session.execute(query):
            if not doc.get("certifications"):
                continue
            now = schemas.enrich("products", doc, today)
            if _state(now) != _state(orjson.loads(snapshot)):
                out.append((uid, version, doc, digest, warnings or []))
    return out


def refresh(sessions: so.sessionmaker[so.Session], writes: WritePath, today: date | None = None) -> int:
    """Publish again every record whose derived certificate state changed; returns how many."""
    day = today or date.today()
    todo = stale(sessions, day)
    for start in range(0, len(todo), BATCH):
        with writes.transaction(ACTOR, SOURCE, today=day) as txn:
            for uid, version, doc, digest, warnings in todo[start : start + BATCH]:
                txn.publish(uid, version, doc, digest, False, warnings)
            txn.note(
                "records.refresh",
                "products",
                {"republished": [u for u, *_ in todo[start : start + BATCH]], "day": day.isoformat()},
            )
    return len(todo)
