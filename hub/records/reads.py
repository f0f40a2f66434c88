"""Read services: lists with filters and keyset pagination, single records, history,
the change feed and statistics. Views call these; no SQL lives in views."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

import orjson
import sqlalchemy as sa
import sqlalchemy.orm as so

import schemas
from schemas.text import fold

from ..store.models import Change, Record, Revision
from . import cursors
from .representation import published, revision


@dataclass(frozen=True)
class Filters:
    """List filters of SPEC section 4 (all optional)."""

    country: str | None = None
    q: str | None = None
    category: str | None = None
    rating_min: int | None = None
    area: str | None = None
    updated_after: datetime | None = None


def _published(kind: str) -> sa.ColumnElement[bool]:
    return sa.and_(Record.kind == kind, Record.published_version.is_not(None), Record.deleted.is_(False))


def _apply(query: sa.Select[Any], f: Filters) -> sa.Select[Any]:
    if f.country:
        query = query.where(Record.country == f.country)
    if f.q:
        for word in fold(f.q).split():
            escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            query = query.where(Record.name_folded.like(f"%{escaped}%", escape="\\"))
    if f.category:
        if ":" in f.category:  # native: SCHEME:CODE, including the codes beneath it
            query = query.where(
                sa.or_(Record.native_category == f.category, Record.native_category.like(f"{f.category}.%"))
            )
        else:
            query = query.where(Record.common_category == f.category)
    if f.rating_min is not None:
        query = query.where(Record.rating_band >= f.rating_min)
    if f.area:
        query = query.where(Record.area == f.area)
    if f.updated_after is not None:
        query = query.where(Record.published_at > f.updated_after)
    return query


def list_query(kind: str, f: Filters, limit: int, cursor: str | None) -> sa.Select[Any]:
    """The query of one list page (``limit + 1`` rows); separate so benchmarks can EXPLAIN it."""
    query = _apply(sa.select(Record).where(_published(kind)), f)
    if cursor:
        last = cursors.decode(cursor, str)
        # uid begins with the country, so both conditions mean "after the last uid"; each
        # is the form the engines turn into an index range (with the country fixed, the
        # row value would be a filter, and a deep page would read every row before it).
        query = query.where(
            Record.uid > last if f.country else sa.tuple_(Record.country, Record.uid) > sa.tuple_(last[:2], last)
        )
    # uid begins with the country, so (country, uid) is uid order, and it is the order of
    # the (kind, country, uid) index: pages are index range scans, deep pages included.
    return query.order_by(Record.country, Record.uid).limit(limit + 1)


def list_records(
    session: so.Session, kind: str, f: Filters, limit: int, cursor: str | None
) -> tuple[list[dict[str, Any]], str | None]:
    """One page of published records in uid order; the cursor names the last uid seen."""
    rows = session.scalars(list_query(kind, f, limit, cursor)).all()
    items = [published(r) for r in rows[:limit]]
    return items, cursors.encode(rows[limit - 1].uid) if len(rows) > limit else None


def get_record(session: so.Session, kind: str, country: str, local_id: str) -> Record | None:
    """The record, published or not (callers decide what the reader may see)."""
    return session.get(Record, schemas.uid(country, kind, local_id))


def history(session: so.Session, kind: str, uid: str, *, include_unpublished: bool) -> list[dict[str, Any]]:
    """Every revision (the owner's view) or only the approved ones (everyone else's)."""
    query = sa.select(Revision).where(Revision.uid == uid)
    if not include_unpublished:
        query = query.where(Revision.review_state == "approved")
    return [revision(r, kind) for r in session.scalars(query.order_by(Revision.version))]


def one_version(
    session: so.Session, kind: str, uid: str, version: int, *, include_unpublished: bool
) -> dict[str, Any] | None:
    rev = session.scalar(sa.select(Revision).where(Revision.uid == uid, Revision.version == version))
    if rev is None or (rev.review_state != "approved" and not include_unpublished):
        return None
    return revision(rev, kind)


@dataclass(frozen=True)
class FeedPage:
    """A page of the change feed, each record still in its stored JSON text."""

    rows: list[tuple[int, str, str, str, int, str]]  # seq, kind, uid, op, version, record JSON
    last: int
    has_more: bool

    def changes(self) -> list[dict[str, Any]]:
        """Parsed changes (for Python callers: sync, tests)."""
        return [
            {"seq": seq, "kind": kind, "uid": uid, "op": op, "version": version, "record": orjson.loads(record)}
            for seq, kind, uid, op, version, record in self.rows
        ]

    def json(self, next_cursor: str) -> bytes:
        """The API body, assembled from the stored text: no record is parsed or re-encoded.

        ``next_cursor`` and ``has_more`` come first, so a reader can ask for the next page
        from the first bytes while it still parses this one.
        """
        parts = [
            b'{"seq":%d,"kind":"%s","uid":%s,"op":"%s","version":%d,"record":%s}'
            % (seq, kind.encode(), orjson.dumps(uid), op.encode(), version, record.encode())
            for seq, kind, uid, op, version, record in self.rows
        ]
        return (
            b'{"next_cursor":'
            + orjson.dumps(next_cursor)
            + b',"has_more":'
            + (b"true" if self.has_more else b"false")
            + b',"changes":['
            + b",".join(parts)
            + b"]}"
        )


def changes(
    session: so.Session, after: int, limit: int, kind: str | None = None, country: str | None = None
) -> FeedPage:
    """Published changes with ``seq > after``, in order.

    Sequence numbers are committed in order (see :class:`hub.store.models.WriteHead`), so a
    reader resuming from the last seq it saw never misses a change. Each change carries
    the record as it was published at that moment (``active`` and warnings included).
    """
    query = sa.select(Change.seq, Change.kind, Change.uid, Change.op, Change.version, Change.record).where(
        Change.seq > after
    )
    if kind:
        query = query.where(Change.kind == kind)
    if country:
        query = query.where(Change.country == country)
    rows = cast(
        "list[tuple[int, str, str, str, int, str]]",
        [tuple(r) for r in session.execute(query.order_by(Change.seq).limit(limit + 1))],
    )
    page = rows[:limit]
    return FeedPage(page, page[-1][0] if page else after, len(rows) > limit)


def stats(session: so.Session) -> dict[str, Any]:
    """Counts of published records by country, kind, common category and rating band,
    and of the latest revisions by review state."""
    pub = sa.and_(Record.published_version.is_not(None), Record.deleted.is_(False))

    def grouped(col: Any, where: Any = pub) -> list[tuple[Any, int]]:
        return [(value, n) for value, n in session.execute(sa.select(col, sa.func.count()).where(where).group_by(col))]

    out: dict[str, Any] = {
        "published": session.scalar(sa.select(sa.func.count()).select_from(Record).where(pub)) or 0,
        "by_country": {c: n for c, n in grouped(Record.country)},
        "by_kind": {k: n for k, n in grouped(Record.kind)},
        "by_common_category": {
            c or "none": n for c, n in grouped(Record.common_category, where=sa.and_(pub, Record.kind == "products"))
        },
        "by_rating_band": {
            str(b) if b else "none": n
            for b, n in grouped(Record.rating_band, where=sa.and_(pub, Record.kind == "products"))
        },
        "by_review_state": {s: n for s, n in grouped(Record.review_state, where=sa.true())},
    }
    return out
