"""The staff record browser: every record, published or not, with accent-insensitive search.

The API lists published records only (hub/records/reads.py); staff also need the records that
were never published (pending, returned, rejected). Published records are searched
through their folded-name column; the rest are few, so their latest revision's names
are folded here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so

from schemas.text import fold

from ..store.models import AuditEntry, Record, Revision
from .projection import names

SCAN_LIMIT = 5000


@dataclass(frozen=True)
class Filters:
    q: str | None = None
    kind: str | None = None
    country: str | None = None
    state: str | None = None
    category: str | None = None
    band: int | None = None
    #: The viewer's country: records of other members are shown once published only.
    viewer: str | None = None


@dataclass
class Row:
    """A record in the browser: its current state and the document to show."""

    record: Record
    document: dict[str, Any]
    latest: dict[str, Any] = field(default_factory=dict)


def _names(doc: dict[str, Any]) -> str:
    return fold(" ".join(names(doc)))


def _base(f: Filters) -> sa.Select[Any]:
    s = sa.select(Record)
    if f.viewer:
        s = s.where(sa.or_(Record.country == f.viewer, Record.published_version.is_not(None)))
    if f.kind:
        s = s.where(Record.kind == f.kind)
    if f.country:
        s = s.where(Record.country == f.country)
    if f.state:
        s = s.where(Record.review_state == f.state)
    if f.category:
        s = s.where(Record.common_category == f.category)
    if f.band:
        s = s.where(Record.rating_band == f.band)
    return s


def latest_documents(session: so.Session, uids: list[str]) -> dict[str, dict[str, Any]]:
    """uid -> the document of each record's latest revision (a tombstone for a deleted one)."""
    out: dict[str, dict[str, Any]] = {}
    for start in range(0, len(uids), 500):
        chunk = uids[start : start + 500]
        rows = session.execute(
            sa.select(Revision.uid, Revision.document)
            .join(Record, sa.and_(Record.uid == Revision.uid, Record.latest_version == Revision.version))
            .where(Revision.uid.in_(chunk))
        )
        out.update({uid: doc for uid, doc in rows})
    return out


def published_and_latest(
    session: so.Session, uids: set[str]
) -> list[tuple[str, str, dict[str, Any] | None, dict[str, Any]]]:
    """``(uid, country, published document or None, latest document)`` of each record:
    what a reviewer may be shown of a record another one refers to."""
    latest_rev, published_rev = so.aliased(Revision), so.aliased(Revision)
    rows = session.execute(
        sa.select(Record.uid, Record.country, published_rev.document, latest_rev.document)
        .join(latest_rev, sa.and_(latest_rev.uid == Record.uid, latest_rev.version == Record.latest_version))
        .outerjoin(
            published_rev, sa.and_(published_rev.uid == Record.uid, published_rev.version == Record.published_version)
        )
        .where(Record.uid.in_(uids))
    )
    return [(uid, country, published, latest) for uid, country, published, latest in rows]


def search(session: so.Session, f: Filters, page: int = 1, per_page: int = 50) -> tuple[list[Row], int]:
    """One page of records in uid order and the total number of matches."""
    page = max(page, 1)
    words = fold(f.q).split() if f.q else []
    if not words:
        total = session.scalar(_base(f).with_only_columns(sa.func.count()).order_by(None)) or 0
        records = list(session.scalars(_base(f).order_by(Record.uid).offset((page - 1) * per_page).limit(per_page)))
    else:
        published = _base(f).where(Record.published_version.is_not(None))
        for word in words:
            escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            published = published.where(
                sa.or_(
                    Record.name_folded.like(f"%{escaped}%", escape="\\"),
                    Record.local_id.like(f"%{escaped}%", escape="\\"),
                )
            )
        found = list(session.scalars(published.order_by(Record.uid).limit(SCAN_LIMIT)))
        unpublished = list(
            session.scalars(_base(f).where(Record.published_version.is_(None)).order_by(Record.uid).limit(SCAN_LIMIT))
        )
        docs = latest_documents(session, [r.uid for r in unpublished])
        for rec in unpublished:
            text = _names(docs.get(rec.uid, {})) + " " + fold(rec.local_id)
            if all(w in text for w in words):
                found.append(rec)
        found.sort(key=lambda r: r.uid)
        total = len(found)
        records = found[(page - 1) * per_page : page * per_page]
    missing = [r.uid for r in records if r.document is None]
    latest = latest_documents(session, missing) if missing else {}
    return [Row(r, r.document if r.document is not None else latest.get(r.uid, {})) for r in records], total


@dataclass
class RecordPage:
    record: Record
    revisions: list[Revision]
    trail: list[AuditEntry]


def record_page(session: so.Session, uid: str, viewer: str | None = None) -> RecordPage | None:
    """A record with its full history and its audit trail.

    A viewer of another country (``viewer``) sees a published record only, and only its
    approved revisions and what concerns them. The trail holds the entries that name the
    record (decisions, flags) and the write entry of each of its revisions: a write entry
    names its batch's kind and is stamped with the revision's own time, which is how it
    is found.
    """
    rec = session.get(Record, uid)
    outsider = viewer is not None and rec is not None and rec.country != viewer
    if rec is None or (outsider and rec.published_version is None):
        return None
    query = sa.select(Revision).where(Revision.uid == uid)
    if outsider:
        query = query.where(Revision.review_state == "approved")
    revisions = list(session.scalars(query.order_by(Revision.version.desc())))
    stamps = [r.created_at for r in revisions]
    cond = AuditEntry.target == uid
    if stamps:
        cond = sa.or_(
            cond,
            sa.and_(AuditEntry.action == "records.write", AuditEntry.target == rec.kind, AuditEntry.at.in_(stamps)),
        )
    trail = list(session.scalars(sa.select(AuditEntry).where(cond).order_by(AuditEntry.seq.desc())))
    shown = {r.version for r in revisions}
    trail = [e for e in trail if _concerns(e, uid, shown, outsider)]
    return RecordPage(rec, revisions, trail)


def _concerns(entry: AuditEntry, uid: str, versions: set[int], outsider: bool) -> bool:
    if entry.action == "records.write":
        return any(w and w[0] == uid and w[1] in versions for w in entry.detail.get("revisions", []))
    if outsider and entry.action.startswith("review."):
        return entry.detail.get("version") in versions
    return True
