"""Which records of a page not to write: older than what the hub has (``stale``, by
``source_updated_at``), or delivered a second time in one snapshot pass with other content
(a finding: the first delivery is kept). Ordered feeds are not screened: their order is
the truth."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so

from ..records.writepath import input_hash
from ..store.models import Record, Revision
from ..store.syncruns import SourceItem
from .pages import Item

#: the verdict of a stale item; any other verdict is the finding of a second delivery
STALE = "stale"


def screen(
    factory: so.sessionmaker[so.Session], source: str, items: list[Item], generation: int | None
) -> dict[int, str | dict[str, str]]:
    """Verdicts by ``id(item)``: :data:`STALE`, or the finding of a second delivery within
    pass ``generation`` (``None``: not a snapshot pass). Items without a verdict are written."""
    candidates = [i for i in items if i.record is not None and i.uid and not i.errors and i.skipped is None]
    if not candidates:
        return {}
    uids = [i.uid for i in candidates]
    with factory() as session:
        stored = {
            row.uid: row
            for row in session.execute(sa.select(Record.uid, Record.input_hash).where(Record.uid.in_(uids)))
        }
        stamps: dict[str, Any] = {}
        if any(i.record.get("source_updated_at") for i in candidates if i.record is not None):
            stamps = dict(
                session.execute(
                    sa.select(Revision.uid, Revision.document)
                    .join(Record, sa.and_(Record.uid == Revision.uid, Record.latest_version == Revision.version))
                    .where(Revision.uid.in_(uids))
                ).all()
            )
        this_pass: set[str] = set()
        if generation is not None:
            this_pass = set(
                session.scalars(
                    sa.select(SourceItem.uid).where(
                        SourceItem.source == source, SourceItem.generation == generation, SourceItem.uid.in_(uids)
                    )
                )
            )
    verdicts: dict[int, str | dict[str, str]] = {}
    for item in candidates:
        record = item.record or {}
        mine, theirs = instant(record.get("source_updated_at")), None
        doc = stamps.get(item.uid or "")
        if isinstance(doc, dict):
            theirs = instant(doc.get("source_updated_at"))
        if mine and theirs and mine < theirs:
            verdicts[id(item)] = STALE
            continue
        if item.uid in this_pass:
            row = stored.get(item.uid)
            same = row is not None and row.input_hash == input_hash(record)
            newer = mine is not None and theirs is not None and mine > theirs
            if not (same or newer):
                verdicts[id(item)] = {
                    "path": "id",
                    "code": "duplicate_in_source",
                    "message": f"{item.uid} was already delivered in this pass with other "
                    "content; the first delivery is kept",
                }
    return verdicts


def instant(value: Any) -> datetime | None:
    """An RFC 3339 timestamp with its offset, else ``None``."""
    if not isinstance(value, str):
        return None
    try:
        at = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return at if at.tzinfo is not None else None
