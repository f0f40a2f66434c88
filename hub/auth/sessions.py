"""Staff sessions kept on the server, so that signing out, a new password or a disabled
account ends them at once (a signed cookie alone stays valid until it expires).

A session ends after ``lifetime`` seconds, or after ``idle`` seconds without a request.
``last_seen_at`` is written at most once a minute per session, not on every request.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
import sqlalchemy.orm as so

from ..store.models import utcnow
from .models import StaffSession, StaffUser, aware, digest

#: How stale ``last_seen_at`` may get before a request writes it again.
TOUCH_EVERY = timedelta(seconds=60)


@dataclass(frozen=True)
class Limits:
    """How long a session lives at most, and without a request (settings, in seconds)."""

    lifetime: int
    idle: int

    def alive(self, now: datetime) -> sa.ColumnElement[bool]:
        return sa.and_(
            StaffSession.created_at > now - timedelta(seconds=self.lifetime),
            StaffSession.last_seen_at > now - timedelta(seconds=self.idle),
        )


def start(
    session: so.Session, user: StaffUser, address: str | None, agent: str | None, now: datetime | None = None
) -> str:
    """A new session for ``user``; returns the token for the cookie (shown nowhere else)."""
    now = now or utcnow()
    token = secrets.token_urlsafe(32)
    session.add(
        StaffSession(
            token_hash=digest(token),
            user_id=user.id,
            created_at=now,
            last_seen_at=now,
            address=(address or "")[:45],
            agent=(agent or "")[:200],
        )
    )
    return token


def resolve(session: so.Session, token: str, limits: Limits, now: datetime | None = None) -> StaffSession | None:
    """The live session of this token with its active user, else ``None`` (an expired
    session, or one whose user was disabled, is deleted)."""
    now = now or utcnow()
    row = session.scalar(sa.select(StaffSession).where(StaffSession.token_hash == digest(token)))
    if row is None:
        return None
    created, seen = aware(row.created_at), aware(row.last_seen_at)
    assert created is not None and seen is not None
    if (
        now - created > timedelta(seconds=limits.lifetime)
        or now - seen > timedelta(seconds=limits.idle)
        or row.user.disabled_at is not None
    ):
        session.delete(row)
        return None
    if now - seen >= TOUCH_EVERY:
        row.last_seen_at = now
    return row


def end(session: so.Session, token: str) -> StaffSession | None:
    """End the session of this token (sign-out); returns it, if it was there."""
    row = session.scalar(sa.select(StaffSession).where(StaffSession.token_hash == digest(token)))
    if row is not None:
        session.delete(row)
    return row


def end_by_id(session: so.Session, session_id: int, user_id: int | None = None) -> StaffSession | None:
    """End one session by its id (its owner's, when ``user_id`` is given)."""
    row = session.get(StaffSession, session_id)
    if row is None or (user_id is not None and row.user_id != user_id):
        return None
    session.delete(row)
    return row


def end_all(session: so.Session, user_id: int) -> int:
    """End every session of a user; returns how many there were."""
    result = session.execute(sa.delete(StaffSession).where(StaffSession.user_id == user_id))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def active(
    session: so.Session, limits: Limits, user_id: int | None = None, now: datetime | None = None
) -> list[StaffSession]:
    """Live sessions, most recently used first (one user's, or everyone's)."""
    now = now or utcnow()
    query = (
        sa.select(StaffSession)
        .where(limits.alive(now))
        .order_by(StaffSession.last_seen_at.desc(), StaffSession.id.desc())
    )
    if user_id is not None:
        query = query.where(StaffSession.user_id == user_id)
    return list(session.scalars(query))


def purge(session: so.Session, limits: Limits, now: datetime | None = None) -> int:
    """Delete expired sessions (done at each sign-in, so the table holds live ones only)."""
    now = now or utcnow()
    result = session.execute(sa.delete(StaffSession).where(sa.not_(limits.alive(now))))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
