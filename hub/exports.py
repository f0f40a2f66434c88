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

import csv
import io
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator

import orjson
import sqlalchemy as sa
import sqlalchemy.orm as so

from schemas.records import SCHEMAS

from . import cursors
from .models import Record, WriteHead
from .representation import published

HUB_COLUMNS = ("uid", "version", "review", "hub_updated_at", "content_hash")
FORMATS = ("ndjson", "csv", "jsonld")
MIMETYPES = {"csv": "text/csv", "jsonld": "application/ld+json", "ndjson": "application/x-ndjson"}
BATCH = 1000


def batch_query(kind: str, after: str | None, batch: int = BATCH) -> sa.Select[Any]:
    """One batch: published, not deleted records of ``kind`` after uid ``after``, in uid
    order (separate so tests can EXPLAIN it)."""
    query = sa.select(Record).where(Record.kind == kind, Record.published_version.is_not(None),
                                    Record.deleted.is_(False))
    if after is not None:
        # (country, uid) > (country of after, after) is "uid > after" in a form both
        # engines turn into a range of the (kind, country, uid) index.
        query = query.where(sa.tuple_(Record.country, Record.uid) > sa.tuple_(after[:2], after))
    return query.order_by(Record.country, Record.uid).limit(batch)


def published_records(session: so.Session, kind: str, batch: int = BATCH,
                      progress: Callable[[], None] | None = None) -> Iterator[dict[str, Any]]:
    """Published, not deleted records of ``kind`` in uid order, read in bounded batches;
    ``progress`` is called after each batch (``hub serve`` tells gunicorn the worker is alive)."""
    last: str | None = None
    while True:
        rows = session.scalars(batch_query(kind, last, batch)).all()
        if not rows:
            return
        for rec in rows:
            yield published(rec)
        last = rows[-1].uid
        session.expunge_all()
        session.rollback()  # end the read transaction between batches
        if progress is not None:
            progress()


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
        return {"complete": True, "kind": self.kind, "count": self.count, "feed_seq": self.feed_seq,
                "feed_cursor": cursors.encode(self.feed_seq)}


def stream(session: so.Session, kind: str, fmt: str,
           progress: Callable[[], None] | None = None) -> Iterator[bytes]:
    """The export of ``kind`` in ``fmt``, trailer last (see the module's docstring)."""
    head = session.get(WriteHead, 1)
    export = Export(kind, head.change_seq if head is not None else 0,
                    published_records(session, kind, BATCH, progress))
    if fmt == "csv":
        for chunk in csv_rows(kind, export.counted()):
            yield chunk.encode("utf-8")
        yield b"# " + orjson.dumps({"export": export.trailer()}) + b"\n"
    elif fmt == "jsonld":
        from .jsonld import jsonld_document
        yield from jsonld_document(kind, export.counted(), lambda: {"hub:export": export.trailer()})
    else:
        yield from ndjson(export.counted())
        yield orjson.dumps({"export": export.trailer()}) + b"\n"


def is_trailer(line: Any) -> bool:
    """Whether a parsed NDJSON line is an export's trailer, not a record."""
    return isinstance(line, dict) and len(line) == 1 and isinstance(line.get("export"), dict) \
        and line["export"].get("complete") is True


def ndjson(records: Iterator[dict[str, Any]]) -> Iterator[bytes]:
    for rec in records:
        yield orjson.dumps(rec) + b"\n"


def csv_columns(kind: str) -> list[str]:
    """Fixed columns per kind: hub fields, then the standard's fields in schema order."""
    return list(HUB_COLUMNS) + list(SCHEMAS[kind]().fields) + ["warnings"]


def csv_rows(kind: str, records: Iterator[dict[str, Any]]) -> Iterator[str]:
    """CSV text; objects and lists (language text, certifications) are JSON in one cell."""
    columns = csv_columns(kind)
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(columns)
    for rec in records:
        writer.writerow([_cell(rec.get(c)) for c in columns])
        yield buf.getvalue()
        buf.seek(0)
        buf.truncate()
    yield buf.getvalue()


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, (dict, list)):
        return orjson.dumps(value).decode()
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
