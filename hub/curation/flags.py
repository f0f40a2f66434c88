"""Flags: a member queries another member's record (SPEC section 5).

Any member with scope ``review`` may raise a flag on a record it can see; the owner
country lists the flags on its records and resolves them. Raising and resolving are
audited (``flag.raise``, ``flag.resolve``) with the record's uid as target, so a
record's audit trail shows its flags.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from schemas import codelists

from ..actors import Actor
from ..store import audit
from ..store.models import Base, Record, utcnow

STATES = ("open", "resolved")
REASONS = "flag-reasons"
MAX_COMMENT = 2000


class Flag(Base):
    """One query about one record, open until the owner resolves it."""

    __tablename__ = "flags"
    id: so.Mapped[int] = so.mapped_column(primary_key=True, autoincrement=True)
    uid: so.Mapped[str] = so.mapped_column(sa.ForeignKey("records.uid"), index=True)
    kind: so.Mapped[str] = so.mapped_column(sa.String(16))
    country: so.Mapped[str] = so.mapped_column(sa.String(2))
    reason: so.Mapped[str] = so.mapped_column(sa.String(40))
    comment: so.Mapped[str | None] = so.mapped_column(sa.Text)
    raised_by: so.Mapped[str] = so.mapped_column(sa.String(200))
    raised_country: so.Mapped[str | None] = so.mapped_column(sa.String(2))
    raised_at: so.Mapped[datetime]
    state: so.Mapped[str] = so.mapped_column(sa.String(10), default="open")
    resolved_at: so.Mapped[datetime | None]
    resolved_by: so.Mapped[str | None] = so.mapped_column(sa.String(200))
    resolution: so.Mapped[str | None] = so.mapped_column(sa.Text)

    __table_args__ = (sa.Index("ix_flags_country_state", "country", "state", "id"),)


class FlagError(Exception):
    """A flag request the hub refuses; ``status`` is the HTTP status a door should use."""

    def __init__(self, message: str, status: int = 422) -> None:
        super().__init__(message)
        self.status = status


def _clean(comment: str | None) -> str | None:
    if comment is None:
        return None
    comment = comment.strip()
    if len(comment) > MAX_COMMENT:
        raise FlagError(f"a comment has at most {MAX_COMMENT} characters")
    return comment or None


def raise_flag(session: so.Session, actor: Actor, uid: str, reason: str, comment: str | None = None) -> Flag:
    """Flag a record (audited). The record must be published, or the actor's own."""
    if reason not in codelists.codes(REASONS):
        raise FlagError(f"reason must be a code of codelist '{REASONS}'")
    comment = _clean(comment)
    rec = session.get(Record, uid)
    if rec is None or (rec.published_version is None and not actor.may_write(rec.country)):
        raise FlagError(f"no record {uid}", 404)
    flag = Flag(
        uid=uid,
        kind=rec.kind,
        country=rec.country,
        reason=reason,
        comment=comment,
        raised_by=actor.id,
        raised_country=actor.country,
        raised_at=utcnow(),
        state="open",
    )
    session.add(flag)
    session.flush()
    audit.record(session, actor.id, "flag.raise", uid, {"flag": flag.id, "reason": reason, "comment": comment})
    return flag


def resolve(session: so.Session, actor: Actor, flag_id: int, comment: str | None = None) -> Flag:
    """Close an open flag on one of the actor's own country's records (audited)."""
    flag = session.get(Flag, flag_id) if 0 < flag_id < 2**62 else None
    if flag is None or not _visible(actor, flag):
        raise FlagError(f"no flag {flag_id}", 404)
    if not actor.may_write(flag.country):
        raise FlagError(f"only {flag.country} resolves flags on its records", 403)
    if flag.state != "open":
        raise FlagError(f"flag {flag_id} is already {flag.state}", 409)
    flag.state, flag.resolved_at, flag.resolved_by = "resolved", utcnow(), actor.id
    flag.resolution = _clean(comment)
    audit.record(session, actor.id, "flag.resolve", flag.uid, {"flag": flag.id, "comment": flag.resolution})
    return flag


def _visible(actor: Actor, flag: Flag) -> bool:
    """The owner country sees flags on its records, the raiser the flags it raised."""
    return (
        actor.may_write(flag.country)
        or flag.raised_by == actor.id
        or (actor.country is not None and flag.raised_country == actor.country)
    )


@dataclass(frozen=True)
class FlagQuery:
    """Which flags to list: received (on own records) or raised (by own country)."""

    state: str | None = "open"
    box: str = "received"
    kind: str | None = None
    country: str | None = None


def listing(session: so.Session, actor: Actor, query: FlagQuery, limit: int = 100, after: int = 0) -> list[Flag]:
    """Flags the actor may see, oldest first, keyset-paginated by id."""
    q = sa.select(Flag).where(Flag.id > after)
    if query.box == "raised":
        q = q.where(Flag.raised_country == actor.country if actor.country else Flag.raised_by == actor.id)
    elif actor.country is not None:
        q = q.where(Flag.country == actor.country)
    if query.country:
        q = q.where(Flag.country == query.country)
    if query.state:
        q = q.where(Flag.state == query.state)
    if query.kind:
        q = q.where(Flag.kind == query.kind)
    return list(session.scalars(q.order_by(Flag.id).limit(limit)))


def for_record(session: so.Session, uid: str) -> list[Flag]:
    """Every flag of one record, newest first (the console's record page)."""
    return list(session.scalars(sa.select(Flag).where(Flag.uid == uid).order_by(Flag.id.desc())))


def open_count(session: so.Session, country: str | None) -> int:
    q = sa.select(sa.func.count()).select_from(Flag).where(Flag.state == "open")
    if country:
        q = q.where(Flag.country == country)
    return session.scalar(q) or 0
