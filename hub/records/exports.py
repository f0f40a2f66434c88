"""Streamed exports of published records: NDJSON and CSV (JSON-LD comes with the API)."""

from __future__ import annotations

import csv
import io
from typing import Any, Iterator

import orjson
import sqlalchemy as sa
import sqlalchemy.orm as so

from schemas.records import SCHEMAS

from ..store.models import Record
from .representation import published

HUB_COLUMNS = ("uid", "version", "review", "hub_updated_at", "content_hash")


def published_records(session: so.Session, kind: str, batch: int = 1000) -> Iterator[dict[str, Any]]:
    """Published, not deleted records of ``kind`` in uid order, read in bounded batches."""
    last = ""
    while True:
        rows = session.scalars(
            sa.select(Record)
            .where(
                Record.kind == kind, Record.published_version.is_not(None), Record.deleted.is_(False), Record.uid > last
            )
            .order_by(Record.uid)
            .limit(batch)
        ).all()
        if not rows:
            return
        for rec in rows:
            yield published(rec)
        last = rows[-1].uid
        session.expunge_all()


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
