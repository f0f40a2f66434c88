"""Streamed exports of published records: NDJSON, CSV and JSON-LD.

Constant time per row at any size: records are read in keyset batches on the
``(kind, country, uid)`` index, in its own order (uid begins with the country), so a
batch is one index range, never a sort of every match (tests check the query plan on
both engines). Each batch is a short statement of its own, so a long export holds no
transaction open (no WAL growth on SQLite, no vacuum horizon on PostgreSQL).

Every export ends with a trailer naming the number of records and the change-feed
position read before the first batch: a client that does not find the trailer, or
finds another count, knows the stream was cut. The export contains every change up to
that position (and perhaps some later ones); following the feed from it catches up.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Iterator

import orjson
import sqlalchemy as sa
import sqlalchemy.orm as so

from ..store.models import Record, Revision, WriteHead
from . import cursors, reads, tabular
from .representation import published, revision

FORMATS = ("ndjson", "csv", "jsonld", "xlsx")
MIMETYPES = {
    "csv": "text/csv; charset=utf-8",
    "jsonld": "application/ld+json",
    "ndjson": "application/x-ndjson",
    "xlsx": tabular.XLSX_MIMETYPE,
}
BATCH = 1000


def batch_query(
    kind: str, after: str | None, batch: int = BATCH, filters: reads.Filters | None = None
) -> sa.Select[Any]:
    """One batch: published, not deleted records of ``kind`` after uid ``after``, in uid
    order, narrowed by the list filters (SPEC section 4; separate so tests can EXPLAIN it)."""
    query = sa.select(Record).where(
        Record.kind == kind, Record.published_version.is_not(None), Record.deleted.is_(False)
    )
    if filters is not None:
        query = reads.apply_filters(query, filters)
    if after is not None:
        # (country, uid) > (country of after, after) is "uid > after" in a form both
        # engines turn into a range of the (kind, country, uid) index.
        query = query.where(sa.tuple_(Record.country, Record.uid) > sa.tuple_(after[:2], after))
    return query.order_by(Record.country, Record.uid).limit(batch)


def published_records(
    session: so.Session,
    kind: str,
    batch: int = BATCH,
    progress: Callable[[], None] | None = None,
    filters: reads.Filters | None = None,
) -> Iterator[dict[str, Any]]:
    """Published, not deleted records of ``kind`` in uid order, read in bounded batches;
    ``progress`` is called after each batch (``hub serve`` tells gunicorn the worker is alive)."""
    last: str | None = None
    while True:
        rows = session.scalars(batch_query(kind, last, batch, filters)).all()
        if not rows:
            return
        for rec in rows:
            yield published(rec)
        last = rows[-1].uid
        session.expunge_all()
        session.rollback()  # end the read transaction between batches
        if progress is not None:
            progress()


#: Review states a staff export may ask for besides the published records: each record's
#: latest revision in that state (what waits, or came back), as the review queue shows it.
STATES = ("pending", "returned", "rejected")


def latest_in_state(
    session: so.Session, kind: str, state: str, filters: reads.Filters | None = None, batch: int = BATCH
) -> Iterator[dict[str, Any]]:
    """The latest revision of each record of ``kind`` whose review state is ``state``, in
    uid order, in keyset batches. Of the list filters only ``country`` and
    ``updated_after`` (the latest revision's arrival) apply: the others read columns of
    the published revision, which such a record may not have."""
    if state not in STATES:
        raise ValueError(f"state must be one of: {', '.join(STATES)}")
    last: str | None = None
    while True:
        query = (
            sa.select(Revision)
            .join(Record, sa.and_(Record.uid == Revision.uid, Record.latest_version == Revision.version))
            .where(Record.kind == kind, Record.review_state == state)
        )
        if filters is not None and filters.country:
            query = query.where(Record.country == filters.country)
        if filters is not None and filters.updated_after is not None:
            query = query.where(Record.updated_at > filters.updated_after)
        if last is not None:
            query = query.where(sa.tuple_(Record.country, Record.uid) > sa.tuple_(last[:2], last))
        rows = session.scalars(query.order_by(Record.country, Record.uid).limit(batch)).all()
        if not rows:
            return
        for rev in rows:
            yield revision(rev, kind)
        last = rows[-1].uid
        session.expunge_all()
        session.rollback()


@dataclass
class Export:
    """One export: the records, counted as they pass, and the trailer that closes it."""

    kind: str
    feed_seq: int
    records: Iterator[dict[str, Any]]
    count: int = field(default=0)

    def counted(self) -> Iterator[dict[str, Any]]:
        for rec in self.records:
            self.count += 1
            yield rec

    def trailer(self) -> dict[str, Any]:
        return {
            "complete": True,
            "kind": self.kind,
            "count": self.count,
            "feed_seq": self.feed_seq,
            "feed_cursor": cursors.encode(self.feed_seq),
        }


def stream(
    session: so.Session,
    kind: str,
    fmt: str,
    progress: Callable[[], None] | None = None,
    filters: reads.Filters | None = None,
    state: str | None = None,
) -> Iterator[bytes]:
    """The export of ``kind`` in ``fmt``, trailer last (see the module's docstring).

    ``filters`` are the list filters; ``state`` (staff only) exports the latest revisions
    in that review state instead of the published records. CSV and XLSX are for people
    (:mod:`hub.tabular`: flattened columns, labels, a byte-order mark); an XLSX workbook
    has no trailer, as it is complete or unreadable."""
    head = session.get(WriteHead, 1)
    records = (
        latest_in_state(session, kind, state, filters)
        if state
        else published_records(session, kind, BATCH, progress, filters)
    )
    export = Export(kind, head.change_seq if head is not None else 0, records)
    if fmt == "csv":
        for chunk in tabular.csv_rows(kind, export.counted()):
            yield chunk.encode("utf-8")
        yield b"# " + orjson.dumps({"export": export.trailer()}) + b"\r\n"
    elif fmt == "xlsx":
        yield from tabular.xlsx(kind, export.counted())
    elif fmt == "jsonld":
        from .jsonld import jsonld_document

        yield from jsonld_document(kind, export.counted(), lambda: {"hub:export": export.trailer()})
    else:
        yield from ndjson(export.counted())
        yield orjson.dumps({"export": export.trailer()}) + b"\n"


def is_trailer(line: Any) -> bool:
    """Whether a parsed NDJSON line is an export's trailer, not a record."""
    return (
        isinstance(line, dict)
        and len(line) == 1
        and isinstance(line.get("export"), dict)
        and line["export"].get("complete") is True
    )


def ndjson(records: Iterator[dict[str, Any]]) -> Iterator[bytes]:
    for rec in records:
        yield orjson.dumps(rec) + b"\n"
